// Progressive enhancement only: the form works without JavaScript.
(function () {
  "use strict";
  // A second click on Registrar while the first is on its way does nothing.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[data-once]").forEach(function (b) {
        setTimeout(function () { b.disabled = true; b.textContent = "Enviando…"; }, 0);
      });
    });
  });
  // Ciudad follows Provincia.
  var province = document.getElementById("id_province");
  var canton = document.getElementById("id_canton");
  if (!province || !canton) { return; }
  function load() {
    var selected = canton.value;
    fetch("/catalogos/cantones/?provincia=" + encodeURIComponent(province.value))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        canton.innerHTML = "";
        var empty = document.createElement("option");
        empty.value = ""; empty.textContent = "--Selección--";
        canton.appendChild(empty);
        data.cantones.forEach(function (c) {
          var o = document.createElement("option");
          o.value = c.code; o.textContent = c.name;
          if (c.code === selected) { o.selected = true; }
          canton.appendChild(o);
        });
      });
  }
  province.addEventListener("change", load);
  if (province.value) { load(); }
})();
