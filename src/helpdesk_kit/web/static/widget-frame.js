/* The chat inside the widget's frame. WebSocket first, POST + long polling as the fallback.
   Every text from the desk or the visitor is put in with textContent (never parsed as HTML). */
(function () {
  "use strict";
  var body = document.body;
  var token = body.dataset.token;
  var root = body.dataset.root || "";
  var lang = body.dataset.lang || "zh";
  var texts = JSON.parse(body.dataset.texts || "{}");
  var maxUpload = parseInt(body.dataset.maxUpload || "0", 10);
  var visitorName = body.dataset.name || "";
  var forced = new URLSearchParams(location.search).get("transport");
  var storeKey = "hk-session:" + lang;
  var $ = function (id) { return document.getElementById(id); };
  var log = $("hk-log"), statusEl = $("hk-status"), typingEl = $("hk-typing");
  var compose = $("hk-compose"), input = $("hk-text"), fileInput = $("hk-file");
  var offlineForm = $("hk-offline"), contactForm = $("hk-contact"), rateForm = $("hk-rate");
  var endButton = $("hk-end");
  var session = null;
  try { session = sessionStorage.getItem(storeKey); } catch (e) { session = null; }
  var transport = null;
  var shown = {};
  var pending = [];
  var counter = 0;
  var surveyToken = null;
  var typingTimer = null, typingSent = false, typingHide = null;

  function t(key, values) {
    var text = texts["widget." + key] || key;
    if (values) {
      Object.keys(values).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    }
    return text;
  }

  function note(text, cls) {
    var p = document.createElement("div");
    p.className = "hk-note " + (cls || "");
    p.textContent = text;
    log.appendChild(p);
    log.scrollTop = log.scrollHeight;
  }

  function addMessage(frame) {
    if (frame.id && shown[frame.id]) { return; }
    if (frame.id) { shown[frame.id] = true; }
    var item = document.createElement("div");
    item.className = "hk-msg hk-" + (frame.author || "system");
    var who = document.createElement("div");
    who.className = "hk-who";
    var names = { visitor: t("you"), agent: frame.name || t("agent"), bot: t("bot"), system: "" };
    who.textContent = names[frame.author] !== undefined ? names[frame.author] : "";
    var text = document.createElement("div");
    text.className = "hk-text";
    text.textContent = frame.text || "";
    item.appendChild(who);
    item.appendChild(text);
    (frame.attachments || []).forEach(function (a) {
      var link = document.createElement("a");
      link.href = a.url;
      link.textContent = a.filename;
      link.setAttribute("download", "");
      link.rel = "noopener";
      link.className = "hk-file";
      item.appendChild(link);
    });
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function setStatus(status, askContact) {
    statusEl.textContent = t("status." + status);
    body.dataset.status = status;
    endButton.hidden = !(status === "queued" || status === "active" || status === "bot");
    if (status === "offline" && askContact) { contactForm.hidden = false; }
    if (status === "ended") { compose.hidden = true; endButton.hidden = true; }
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "welcome":
        session = frame.session;
        try { sessionStorage.setItem(storeKey, session); } catch (e) { /* private mode */ }
        setStatus(frame.status);
        if (frame.status === "new" && body.dataset.online === "false") { offlineForm.hidden = false; }
        flush();
        break;
      case "transcript":
        (frame.messages || []).forEach(addMessage);
        break;
      case "message":
        typingEl.hidden = true;
        addMessage(frame);
        break;
      case "ack":
        if (frame.id && !shown[frame.message]) {
          var mine = document.querySelector("[data-pending='" + CSS.escape(String(frame.id)) + "']");
          if (mine) { mine.removeAttribute("data-pending"); }
          shown[frame.message] = true;
        }
        break;
      case "status":
        setStatus(frame.status, frame.ask_contact);
        break;
      case "typing":
        typingEl.textContent = t("typing", { name: frame.name || t("someone") });
        typingEl.hidden = !frame.typing;
        clearTimeout(typingHide);
        if (frame.typing) { typingHide = setTimeout(function () { typingEl.hidden = true; }, 8000); }
        break;
      case "agent_joined":
        note(t("joined", { name: frame.name }));
        break;
      case "agent_left":
        note(t("left", { name: frame.name }));
        break;
      case "survey":
        surveyToken = frame.token;
        rateForm.hidden = false;
        break;
      case "rated":
        rateForm.hidden = true;
        note(t("rate.thanks"), "hk-thanks");
        break;
      case "ended":
        setStatus("ended");
        try { sessionStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
        break;
      case "error":
        note(t("error", { message: frame.message || frame.code }), "hk-error");
        break;
      default:
        break;
    }
  }

  /* ------------------------------------------------------------------ transports */
  function socketTransport() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var q = new URLSearchParams({ vt: token, lang: lang });
    if (session) { q.set("session", session); }
    if (visitorName) { q.set("name", visitorName); }
    var ws = new WebSocket(scheme + location.host + root + "/widget/ws?" + q.toString());
    var opened = false;
    var me = {
      ready: false,
      send: function (frame) { ws.send(JSON.stringify(frame)); },
    };
    ws.onopen = function () { opened = true; me.ready = true; };
    ws.onmessage = function (event) { onFrame(JSON.parse(event.data)); };
    ws.onclose = function () {
      me.ready = false;
      if (transport !== me) { return; }
      if (!opened) { transport = pollTransport(); return; }  // blocked: fall back
      if (body.dataset.status === "ended") { return; }
      note(t("reconnecting"));
      setTimeout(function () { transport = socketTransport(); }, 1500);
    };
    return me;
  }

  function api(path, payload) {
    return fetch(root + "/widget/api/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Visitor-Token": token },
      body: JSON.stringify(payload),
      credentials: "same-origin",
    }).then(function (r) {
      if (!r.ok) { throw new Error(r.status + ""); }
      return r.json();
    });
  }

  function pollTransport() {
    var me = { ready: false, send: function (frame) {
      api("send", { session: session, frame: frame }).then(function (answer) {
        if (answer && answer.type) { onFrame(answer); }
      }).catch(function (e) { note(t("error", { message: e.message })); });
    } };
    var last = 0;
    function poll() {
      if (transport !== me) { return; }
      fetch(root + "/widget/api/poll?session=" + encodeURIComponent(session) + "&after=" + last, {
        headers: { "X-Visitor-Token": token }, credentials: "same-origin",
      }).then(function (r) { return r.json(); }).then(function (answer) {
        last = answer.last;
        (answer.frames || []).forEach(onFrame);
        poll();
      }).catch(function () { setTimeout(poll, 2000); });
    }
    api("connect", { session: session, name: visitorName }).then(function (answer) {
      session = answer.session;
      me.ready = true;
      poll();
    }).catch(function (e) { note(t("error", { message: e.message }), "hk-error"); });
    return me;
  }

  function send(frame) {
    if (transport && transport.ready) { transport.send(frame); } else { pending.push(frame); }
  }
  function flush() {
    while (pending.length && transport && transport.ready) { transport.send(pending.shift()); }
  }
  setInterval(flush, 300);

  /* ------------------------------------------------------------------ visitor actions */
  function sendText(text) {
    text = text.trim();
    if (!text) { return; }
    counter += 1;
    var id = Date.now().toString(36) + "-" + counter;
    send({ type: "message", id: id, text: text });
    var fake = { id: "local-" + id, author: "visitor", text: text };
    addMessage(fake);
    log.lastChild.setAttribute("data-pending", id);
  }

  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    sendText(input.value);
    input.value = "";
    stopTyping();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      compose.requestSubmit();
    }
  });
  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingSent) { send({ type: "typing", typing: false }); typingSent = false; }
  }
  input.addEventListener("input", function () {
    if (!typingSent && input.value) { send({ type: "typing", typing: true }); typingSent = true; }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 3000);
  });

  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    if (!file) { return; }
    if (maxUpload && file.size > maxUpload) { note(t("upload.too_big"), "hk-error"); fileInput.value = ""; return; }
    var form = new FormData();
    form.append("session", session || "");
    form.append("file", file);
    fetch(root + "/widget/api/upload", {
      method: "POST", body: form, headers: { "X-Visitor-Token": token }, credentials: "same-origin",
    }).then(function (r) {
      if (!r.ok) { return r.text().then(function (m) { throw new Error(m); }); }
    }).catch(function (e) { note(t("error", { message: e.message }), "hk-error"); });
    fileInput.value = "";
  });

  offlineForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var f = offlineForm.elements;
    var contact = { type: "contact", email: f.email.value.trim() };
    if (f.name.value.trim()) { contact.name = f.name.value.trim(); }
    send(contact);
    sendText(f.message.value);
    offlineForm.hidden = true;
    note(t("offline.thanks"), "hk-thanks");
  });
  contactForm.addEventListener("submit", function (event) {
    event.preventDefault();
    send({ type: "contact", email: contactForm.elements.email.value.trim() });
    contactForm.hidden = true;
  });
  rateForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var picked = rateForm.querySelector("input[name=score]:checked");
    if (!picked || !surveyToken) { return; }
    var frame = { type: "rate", token: surveyToken, score: parseInt(picked.value, 10),
      comment: rateForm.elements.comment.value };
    if (transport && transport.ready) { transport.send(frame); }
    else { api("send", { session: session, frame: frame }).then(onFrame); }
  });
  endButton.addEventListener("click", function () { send({ type: "end" }); });
  $("hk-close").addEventListener("click", function () {
    if (window.parent !== window) { window.parent.postMessage("hk-close", "*"); }
  });

  setStatus("new");
  transport = forced === "poll" || !window.WebSocket ? pollTransport() : socketTransport();
})();
