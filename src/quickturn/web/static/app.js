/* quickturn dashboard: draws the Plotly charts embedded in the page, submits filter forms,
   loads the inventory projection and runs the live compliance check.  No external requests. */
(function () {
  "use strict";

  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

  function draw(el, fig) {
    if (!window.Plotly) { el.textContent = "Plotly.js did not load."; return; }
    el.innerHTML = "";
    window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, CONFIG).then(function () {
      el.setAttribute("data-rendered", "1");
    });
  }

  function drawAll(root) {
    var nodes = (root || document).querySelectorAll("[data-figure]");
    Array.prototype.forEach.call(nodes, function (el) {
      var src = document.getElementById(el.getAttribute("data-figure"));
      if (!src) { return; }
      try { draw(el, JSON.parse(src.textContent)); } catch (e) { el.textContent = String(e); }
    });
  }

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  function csrfToken(form) {
    var field = form && form.querySelector("input[name=csrf_token]");
    return cookie("qt_csrf") || (field ? field.value : "");
  }

  function autosubmit() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-autosubmit]"), function (el) {
      el.addEventListener("change", function () {
        var form = el.form;
        var page = form.querySelector("input[name=page]");
        if (page) { page.value = "1"; }
        form.submit();
      });
    });
  }

  function projection() {
    var el = document.querySelector("[data-projection]");
    if (!el) { return; }
    fetch(el.getAttribute("data-projection"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { return r.json().then(function (j) { throw new Error(j.detail || r.status); }); } return r.json(); })
      .then(function (fig) { draw(el, fig); })
      .catch(function (e) { el.innerHTML = ""; var p = document.createElement("p"); p.className = "muted"; p.textContent = String(e.message || e); el.appendChild(p); });
  }

  function liveCheck() {
    var form = document.getElementById("check-form");
    if (!form) { return; }
    var text = document.getElementById("check-text");
    var out = document.getElementById("check-result");
    var status = document.getElementById("check-status");
    var timer = null, seq = 0;
    function run() {
      var mine = ++seq;
      var body = new URLSearchParams();
      body.set("text", text.value);
      body.set("csrf_token", csrfToken(form));
      status.textContent = "…";
      fetch(form.getAttribute("action"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-Fragment": "1", "X-CSRF-Token": csrfToken(form) }
      }).then(function (r) { return r.text().then(function (t) { return { ok: r.ok, text: t }; }); })
        .then(function (res) {
          if (mine !== seq) { return; }
          out.innerHTML = res.text;
          var n = out.querySelectorAll("tr").length;
          status.textContent = res.ok ? out.getAttribute("data-count").replace("{n}", n) : "";
          out.setAttribute("data-checked", String(mine));
        })
        .catch(function (e) { status.textContent = String(e); });
    }
    text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 350); });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); clearTimeout(timer); run(); });
  }

  function skuSearch() {
    var q = document.getElementById("sku-q");
    if (!q) { return; }
    var timer = null;
    q.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var needle = q.value.trim().toLowerCase();
        Array.prototype.forEach.call(document.querySelectorAll("#sku-table tbody tr[data-sku]"), function (tr) {
          tr.hidden = needle !== "" && tr.textContent.toLowerCase().indexOf(needle) < 0;
        });
      }, 120);
    });
  }

  function start() {
    drawAll(document);
    autosubmit();
    projection();
    liveCheck();
    skuSearch();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
