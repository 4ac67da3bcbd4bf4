/* Agent workspace: live inbox and ticket page, presence warning, macro and article insert.
   No inline script (the CSP forbids it); every HTML fragment comes escaped from the server. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function socket(path, params, onMessage) {
    var delay = 1000;
    var handle = { ws: null };
    function connect() {
      var proto = location.protocol === "https:" ? "wss:" : "ws:";
      var query = "csrf=" + encodeURIComponent(csrf);
      Object.keys(params).forEach(function (k) { query += "&" + k + "=" + encodeURIComponent(params[k]); });
      var ws = new WebSocket(proto + "//" + location.host + path + "?" + query);
      handle.ws = ws;
      ws.onopen = function () { delay = 1000; };
      ws.onmessage = function (ev) {
        var data;
        try { data = JSON.parse(ev.data); } catch (e) { return; }
        onMessage(data);
      };
      ws.onclose = function () {
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
    return handle;
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(fn, ms);
    };
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); });
  }

  /* ---------------------------------------------------------------- inbox */
  var inbox = document.getElementById("inbox");
  if (inbox) {
    var refresh = debounce(function () {
      var url = new URL(location.href);
      url.searchParams.set("part", "1");
      fetch(url.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          document.getElementById("rows").innerHTML = html;
          var note = document.getElementById("live-note");
          if (note) { note.hidden = false; }
        });
    }, 400);
    socket(inbox.getAttribute("data-live"), {}, function () { refresh(); });
  }

  /* ---------------------------------------------------------------- ticket */
  var page = document.getElementById("ticket");
  if (!page) { return; }
  var me = page.getAttribute("data-me");
  var presenceText = page.getAttribute("data-presence") || "{names}";

  function showPresence(viewers) {
    var others = viewers.filter(function (v) { return v.id !== me; })
      .map(function (v) { return v.name; });
    var box = document.getElementById("presence");
    if (!box) { return; }
    if (others.length) {
      box.textContent = presenceText.replace("{names}", others.join(", "));
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  var reload = debounce(function () {
    getJSON(page.getAttribute("data-parts")).then(function (parts) {
      ["conversation", "header", "timers", "transitions"].forEach(function (name) {
        var el = document.getElementById("part-" + name);
        if (el && typeof parts[name] === "string") { el.innerHTML = parts[name]; }
      });
      var conv = document.getElementById("conversation");
      if (conv && conv.lastElementChild) { conv.lastElementChild.scrollIntoView({ block: "nearest" }); }
    });
  }, 200);

  var typingBox = document.getElementById("customer-typing");
  var typingTimer = null;
  function customerTyping(on) {
    if (!typingBox) { return; }
    typingBox.hidden = !on;
    if (typingTimer) { clearTimeout(typingTimer); }
    if (on) { typingTimer = setTimeout(function () { typingBox.hidden = true; }, 8000); }
  }

  var live = socket(page.getAttribute("data-live"), { ticket: page.getAttribute("data-ticket") }, function (data) {
    if (data.kind === "presence") { showPresence(data.viewers || []); }
    else if (data.type === "typing") { customerTyping(!!data.typing); }
    else if (data.topic && data.topic.indexOf("chat:") === 0) { return; }
    else { customerTyping(false); reload(); }
  });

  var reply = document.getElementById("reply-text");
  /* tell a chat visitor the agent is typing: on at the first key, off after 3 s of quiet */
  var typingOff = null;
  function sendTyping(on) {
    if (live.ws && live.ws.readyState === 1) {
      live.ws.send(JSON.stringify({ type: "typing", typing: on }));
    }
  }
  if (reply) {
    reply.addEventListener("input", function () {
      if (!typingOff) { sendTyping(true); } else { clearTimeout(typingOff); }
      typingOff = setTimeout(function () { typingOff = null; sendTyping(false); }, 3000);
    });
  }
  function insert(text) {
    if (!reply) { return; }
    var start = reply.selectionStart || reply.value.length;
    var before = reply.value.slice(0, start);
    var after = reply.value.slice(reply.selectionEnd || start);
    var sep = before && !/\n$/.test(before) ? "\n" : "";
    reply.value = before + sep + text + after;
    reply.focus();
  }

  var macroButton = document.getElementById("macro-insert");
  if (macroButton) {
    macroButton.addEventListener("click", function () {
      var select = document.getElementById("macro-name");
      var url = page.getAttribute("data-macros") + encodeURIComponent(select.value);
      getJSON(url).then(function (data) { if (data.text) { insert(data.text); } });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".insert-article"), function (button) {
    button.addEventListener("click", function () {
      var link = new URL(button.getAttribute("data-url"), location.href).toString();
      insert(button.getAttribute("data-text") + "\n" + link);
    });
  });
})();
