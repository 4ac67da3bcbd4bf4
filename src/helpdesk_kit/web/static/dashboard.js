/* Manager dashboard: refresh today's numbers every 30 seconds (no inline script: CSP). */
(function () {
  "use strict";
  var box = document.getElementById("dash-numbers");
  if (!box) { return; }
  var url = box.getAttribute("data-refresh");
  setInterval(function () {
    if (document.hidden) { return; }
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } });
  }, 30000);
})();
