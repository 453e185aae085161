// Progressive enhancement of the Solicitud del uso form. Without JavaScript the
// form still works: Registrar submits everything, Consultar posts the form, OCE
// rows are plain table rows, files are uploaded with Registrar.
(function () {
  "use strict";

  // A second click on a submit button while the first is on its way does nothing.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.hasAttribute("data-once")) { return; }
      if (form.dataset.sending === "1") { event.preventDefault(); return; }
      form.dataset.sending = "1";
      setTimeout(function () { button.disabled = true; button.textContent = "Enviando…"; }, 0);
    });
  });

  // The error summary: each link takes the focus to its field (a plain #anchor only
  // scrolls); on arrival the focus goes to the first error, so the page starts there.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) { return; }
        if (!target.matches("input, select, textarea, button")) {
          target = target.querySelector("input:not([type=hidden]), select, textarea") || target;
        }
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        target.focus();
      });
    });
    var first = summary.querySelector("a[href^='#']");
    (first || summary).focus();
  }

  var form = document.getElementById("solicitud-form");
  if (!form) { return; }
  document.querySelectorAll(".nojs-only").forEach(function (el) { el.hidden = true; });

  function csrfToken() {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }
  function getJSON(url) {
    return fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); });
  }
  function postForm(url, body) {
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (r) { return r.json(); });
  }
  function say(el, text, ok) {
    el.textContent = text;
    el.classList.toggle("ok", ok === true);
    el.classList.toggle("error", ok === false);
  }

  // --- Ciudad follows Provincia (the server sends every city grouped by province) ---
  var province = document.getElementById("id_province");
  var canton = document.getElementById("id_canton");
  var groups = Array.prototype.map.call(canton.querySelectorAll("optgroup"), function (g) {
    return { label: g.label, options: Array.prototype.map.call(g.children, function (o) {
      return [o.value, o.textContent];
    }) };
  });
  function filterCantones() {
    var name = province.selectedIndex >= 0 ? province.options[province.selectedIndex].text : "";
    var current = canton.value;
    canton.innerHTML = "";
    var empty = document.createElement("option");
    empty.value = ""; empty.textContent = "--Selección--";
    canton.appendChild(empty);
    var group = groups.filter(function (g) { return g.label === name; })[0];
    (group ? group.options : []).forEach(function (pair) {
      var o = document.createElement("option");
      o.value = pair[0]; o.textContent = pair[1];
      if (pair[0] === current) { o.selected = true; }
      canton.appendChild(o);
    });
  }
  province.addEventListener("change", filterCantones);
  filterCantones();

  // --- Consultar: the company registry fills the company fields -------------------
  if (document.getElementById("consultar")) {
  var consultar = document.getElementById("consultar");
  consultar.addEventListener("click", function (event) {
    event.preventDefault();
    var ruc = document.getElementById("id_ruc").value.trim();
    var out = document.getElementById("ruc_message");
    say(out, "Consultando…");
    getJSON(form.dataset.companyUrl + "?ruc=" + encodeURIComponent(ruc)).then(function (data) {
      // Each field the page has (an employee's page shows only the razón social).
      var fill = { id_razon_social: data.razon_social, id_direccion_empresa: data.direccion,
                   id_telefono_empresa: data.telefono };
      if (data.found) {
        Object.keys(fill).forEach(function (id) {
          var input = document.getElementById(id);
          if (input && fill[id] !== undefined) { input.value = fill[id]; }
        });
        say(out, data.message, true);
      } else {
        say(out, data.message, false);
        var razon = document.getElementById("id_razon_social");
        if (razon.readOnly) { razon.value = ""; document.getElementById("id_ruc").focus(); }
        else { razon.focus(); }
      }
    }).catch(function () { say(out, "No se pudo consultar. Intente de nuevo.", false); });
  });
  }

  // --- País emisor: asked only for a passport (General form) ------------------------
  var docType = document.getElementById("id_doc_type");
  var docCountry = document.getElementById("id_doc_country");
  if (docType && docCountry) {
    var countryField = docCountry.closest(".field");
    var syncCountry = function () { countryField.hidden = docType.value !== "PASAPORTE"; };
    docType.addEventListener("change", syncCountry);
    syncCountry();
  }

  // --- Comprobar disponibilidad -------------------------------------------------
  form.querySelectorAll("button[data-check]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.source);
      var out = document.getElementById(button.dataset.target);
      var url = form.dataset.availabilityUrl + "?campo=" + encodeURIComponent(button.dataset.check) +
        "&valor=" + encodeURIComponent(source.value.trim()) +
        (form.dataset.kind ? "&tipo=" + encodeURIComponent(form.dataset.kind) : "");
      say(out, "Comprobando…");
      getJSON(url).then(function (data) { say(out, data.message, data.available === true); })
        .catch(function () { say(out, "No se pudo comprobar. Intente de nuevo.", false); });
    });
  });

  // --- Tipo de OCEs: Agregar / Eliminar rows -----------------------------------------
  if (document.getElementById("oce-rows")) {
  var rows = document.getElementById("oce-rows");
  var total = document.getElementById("id_oce-TOTAL_FORMS");
  var template = document.getElementById("oce-empty");
  var picker = document.getElementById("oce-picker");
  document.querySelector(".oce-tools").hidden = false;

  function rowIsBlank(row) {
    var blank = true;
    row.querySelectorAll("input[type=text], input:not([type]), select").forEach(function (el) {
      if (el.name.endsWith("end_date")) { return; }
      if (el.value) { blank = false; }
    });
    return blank && !row.querySelector(".error");
  }
  function renumber() {
    rows.querySelectorAll("tr.oce-row").forEach(function (row, i) {
      row.querySelector(".oce-n").textContent = String(i + 1);
      row.querySelectorAll("label[data-base]").forEach(function (label) {
        label.textContent = label.dataset.base + " " + (i + 1);
      });
    });
  }
  rows.querySelectorAll("tr.oce-row").forEach(function (row) {
    if (rowIsBlank(row)) { row.remove(); }
  });
  renumber();

  document.getElementById("oce-agregar").addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    var row = holder.querySelector("tr");
    rows.appendChild(row);
    total.value = String(index + 1);
    row.querySelector("select[name$=oce_type]").value = picker.value;
    renumber();
    row.querySelector("input[name$=code]").focus();
  });
  document.getElementById("oce-eliminar").addEventListener("click", function () {
    rows.querySelectorAll("tr.oce-row").forEach(function (row) {
      var box = row.querySelector("input[type=checkbox]");
      if (box && box.checked) { row.remove(); }
    });
    renumber();
  });
  }

  // --- Certificates: Cargar / Eliminar before Registrar --------------------------
  if (document.getElementById("id_certificados")) {
  var fileInput = document.getElementById("id_certificados");
  var cargar = document.getElementById("cargar");
  var eliminar = document.getElementById("eliminar-archivos");
  var fileRows = document.getElementById("file-rows");
  var fileErrors = document.getElementById("file-errors");
  cargar.hidden = false;
  eliminar.hidden = false;

  function renderFiles(data) {
    fileRows.innerHTML = "";
    if (!data.files.length) {
      var empty = document.createElement("tr");
      empty.className = "empty";
      var cell = document.createElement("td");
      cell.colSpan = 4; cell.textContent = "Ningún archivo cargado.";
      empty.appendChild(cell); fileRows.appendChild(empty);
    }
    data.files.forEach(function (f) {
      var tr = document.createElement("tr");
      var box = document.createElement("input");
      box.type = "checkbox"; box.name = "remove_staged"; box.value = String(f.id);
      box.id = "remove_staged_" + f.id;
      box.setAttribute("aria-label", "Seleccionar " + f.name);
      var c1 = document.createElement("td"); c1.appendChild(box);
      var c2 = document.createElement("td"); c2.textContent = f.name;
      var c3 = document.createElement("td"); c3.textContent = f.size_kb + " KByte";
      var c4 = document.createElement("td");
      var a = document.createElement("a"); a.href = f.download_url; a.textContent = "Descargar";
      c4.appendChild(a);
      [c1, c2, c3, c4].forEach(function (c) { tr.appendChild(c); });
      fileRows.appendChild(tr);
    });
    document.getElementById("file-total").textContent = data.total_kb + " KByte";
    document.getElementById("staged_count").value = String(data.files.length);
    fileErrors.innerHTML = "";
    (data.errors || []).forEach(function (message) {
      var p = document.createElement("p"); p.className = "error"; p.textContent = message;
      fileErrors.appendChild(p);
    });
  }

  cargar.addEventListener("click", function () {
    var body = new FormData();
    Array.prototype.forEach.call(fileInput.files, function (f) { body.append("certificados", f); });
    cargar.disabled = true;
    postForm(form.dataset.uploadUrl, body).then(function (data) {
      renderFiles(data);
      fileInput.value = "";
    }).catch(function () {
      fileErrors.textContent = "No se pudo cargar el archivo. Intente de nuevo.";
    }).finally(function () { cargar.disabled = false; });
  });
  eliminar.addEventListener("click", function () {
    var body = new FormData();
    fileRows.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      body.append("ids", box.value);
    });
    postForm(form.dataset.deleteUrl, body).then(renderFiles);
  });
  }
})();
