/* helpdesk_kit chat widget: one <script src=".../static/widget.js" data-lang="zh"> tag.
   Adds a launcher in the bottom-right corner; the chat runs in a frame served by the desk
   (full screen below 600 px). data-visitor / data-expires / data-signature: a visitor id
   signed by the host site (HMAC-SHA256, see the docs); without them the visitor is
   anonymous. No innerHTML anywhere: nothing from the page or the desk is parsed as HTML. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) {
    var all = document.querySelectorAll("script[src*='widget.js']");
    me = all[all.length - 1];
  }
  if (!me || window.__helpdeskKitWidget) { return; }
  window.__helpdeskKitWidget = true;
  var base = me.src.replace(/\/static\/widget\.js(\?.*)?$/, "");
  var origin = new URL(base, location.href).origin;
  var data = me.dataset;
  var lang = data.lang || (navigator.language || "zh").slice(0, 2);
  var labels = { zh: ["在线客服", "关闭"], en: ["Chat with us", "Close"] };
  var label = labels[lang === "en" ? "en" : "zh"];
  var phone = window.matchMedia("(max-width: 599px)");
  var frame = null;
  var open = false;

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.id = "hk-launcher";
  launcher.setAttribute("aria-label", label[0]);
  launcher.title = label[0];
  var svgNs = "http://www.w3.org/2000/svg";
  function icon(path) {
    var svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    var p = document.createElementNS(svgNs, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "none");
    p.setAttribute("stroke", "currentColor");
    p.setAttribute("stroke-width", "2");
    p.setAttribute("stroke-linecap", "round");
    p.setAttribute("stroke-linejoin", "round");
    svg.appendChild(p);
    return svg;
  }
  var bubble = "M4 5h16v11H9l-5 4z";
  var cross = "M6 6l12 12M18 6L6 18";
  launcher.appendChild(icon(bubble));
  var ls = launcher.style;
  ls.position = "fixed"; ls.right = "20px"; ls.bottom = "20px"; ls.zIndex = "2147483000";
  ls.width = "56px"; ls.height = "56px"; ls.borderRadius = "50%"; ls.border = "0";
  ls.background = data.color || "#1769e0"; ls.color = "#fff"; ls.fontSize = "26px";
  ls.lineHeight = "0"; ls.padding = "0"; ls.cursor = "pointer";
  ls.boxShadow = "0 4px 14px rgba(0,0,0,.25)";

  function frameUrl() {
    var q = new URLSearchParams();
    q.set("lang", lang);
    ["visitor", "expires", "signature", "name", "transport"].forEach(function (k) {
      if (data[k]) { q.set(k, data[k]); }
    });
    return base + "/widget/frame?" + q.toString();
  }

  function place() {
    if (!frame) { return; }
    var s = frame.style;
    if (phone.matches) {
      s.left = "0"; s.top = "0"; s.right = "0"; s.bottom = "0";
      s.width = "100%"; s.height = "100%"; s.borderRadius = "0";
      launcher.style.display = open ? "none" : "block";
    } else {
      s.left = "auto"; s.top = "auto"; s.right = "20px"; s.bottom = "88px";
      s.width = "370px"; s.height = "min(600px, calc(100vh - 110px))"; s.borderRadius = "12px";
      launcher.style.display = "block";
    }
  }

  function show(yes) {
    open = yes;
    if (yes && !frame) {
      frame = document.createElement("iframe");
      frame.id = "hk-frame";
      frame.title = label[0];
      frame.src = frameUrl();
      frame.setAttribute("allow", "clipboard-write");
      var s = frame.style;
      s.position = "fixed"; s.zIndex = "2147483001"; s.border = "0"; s.background = "#fff";
      s.boxShadow = "0 8px 30px rgba(0,0,0,.25)";
      document.body.appendChild(frame);
    }
    if (frame) { frame.style.display = yes ? "block" : "none"; }
    launcher.setAttribute("aria-expanded", yes ? "true" : "false");
    launcher.replaceChild(icon(yes ? cross : bubble), launcher.firstChild);
    launcher.setAttribute("aria-label", yes ? label[1] : label[0]);
    place();
  }

  launcher.addEventListener("click", function () { show(!open); });
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data === "hk-close") { show(false); }
  });
  if (phone.addEventListener) { phone.addEventListener("change", place); }

  function mount() { document.body.appendChild(launcher); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
