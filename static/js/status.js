// While the status page is open it follows the request: when its history grows, the
// request's part of the page is fetched again and swapped in place (no reload),
// unless the applicant is typing in one of its forms. The page gives the JSON address,
// the number of events shown and the interval as data-* attributes (no inline script:
// the Content-Security-Policy allows only these files).
(function () {
  "use strict";
  var root = document.getElementById("estado-solicitud");
  if (!root || !root.dataset.statusJson) { return; }
  var url = root.dataset.statusJson;
  var shown = parseInt(root.dataset.events, 10) || 0;
  var seconds = parseInt(root.dataset.pollSeconds, 10) || 15;
  setInterval(function () {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.events === shown) { return; }
        var current = document.getElementById("estado-solicitud");
        if (!current || (current.contains(document.activeElement) && document.activeElement.tagName === "INPUT")) { return; }
        return fetch(window.location.href, { credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("estado-solicitud");
            if (fresh) { current.innerHTML = fresh.innerHTML; shown = data.events; }
          });
      })
      .catch(function () {});
  }, seconds * 1000);
})();
