/* Help centre: search as you type (results built with textContent, never innerHTML). */
(function () {
  "use strict";
  var input = document.getElementById("help-q");
  var list = document.getElementById("help-suggest");
  if (!input || !list) { return; }
  var timer = null, seq = 0;
  function clear() { while (list.firstChild) { list.removeChild(list.firstChild); } }
  function show(results) {
    clear();
    results.forEach(function (r) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      var a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.title;
      var s = document.createElement("div");
      s.className = "muted";
      s.textContent = r.snippet;
      li.appendChild(a);
      li.appendChild(s);
      list.appendChild(li);
    });
    list.hidden = results.length === 0;
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (!q) { show([]); return; }
    timer = setTimeout(function () {
      var mine = ++seq;
      fetch(input.dataset.suggest + "&q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (mine === seq) { show(data.results || []); } })
        .catch(function () { /* keep the form: Enter still searches */ });
    }, 120);
  });
  input.addEventListener("keydown", function (e) { if (e.key === "Escape") { show([]); } });
})();
