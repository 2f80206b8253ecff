// The web table's one script: language, Telegram theme, tabs and the filter. Plain JavaScript,
// nothing loaded from another host; every page works without it (all languages' text is in
// the page, every cell is a link).
(function () {
  "use strict";
  var doc = document.documentElement;
  doc.classList.add("js");

  // -- language: English, Simplified or Traditional, remembered across pages --------------
  function pickLang() {
    var saved = null;
    try { saved = localStorage.getItem("lang"); } catch (e) {}
    if (saved === "en" || saved === "zh" || saved === "hant") return saved;
    var nav = (navigator.language || "en").toLowerCase();
    if (/^zh-(tw|hk|mo|hant)/.test(nav)) return "hant";
    return nav.indexOf("zh") === 0 ? "zh" : "en";
  }
  function setLang(lang) {
    doc.setAttribute("data-lang", lang);
    doc.setAttribute("lang", lang === "en" ? "en" : lang === "zh" ? "zh-Hans" : "zh-Hant");
    try { localStorage.setItem("lang", lang); } catch (e) {}
    document.querySelectorAll("[data-set-lang]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-set-lang") === lang));
    });
    document.querySelectorAll("[data-zh]").forEach(function (el) {
      if (!el.hasAttribute("data-en")) el.setAttribute("data-en", el.title);
      el.title = el.getAttribute("data-" + lang) || el.getAttribute("data-zh");
    });
  }
  document.querySelectorAll("[data-set-lang]").forEach(function (b) {
    b.addEventListener("click", function () { setLang(b.getAttribute("data-set-lang")); });
  });
  setLang(pickLang());

  // -- inside Telegram: its theme colours (feature-detected; its script is not required) ---
  function theme() {
    var params = null;
    try {
      if (window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.themeParams) {
        params = window.Telegram.WebApp.themeParams;
        if (window.Telegram.WebApp.ready) window.Telegram.WebApp.ready();
      }
    } catch (e) {}
    if (!params) {  // Telegram passes the theme in the address when it opens a Mini App
      var m = /[#&]tgWebAppThemeParams=([^&]*)/.exec(location.hash);
      if (m) { try { params = JSON.parse(decodeURIComponent(m[1])); } catch (e) {} }
    }
    if (params) {
      try { sessionStorage.setItem("tgTheme", JSON.stringify(params)); } catch (e) {}
    } else {
      try { params = JSON.parse(sessionStorage.getItem("tgTheme") || "null"); } catch (e) {}
    }
    if (!params) return;
    var map = {bg_color: "--tg-bg", text_color: "--tg-fg", hint_color: "--tg-hint", link_color: "--tg-link",
               secondary_bg_color: "--tg-head"};
    Object.keys(map).forEach(function (k) {
      if (typeof params[k] === "string" && /^#[0-9a-fA-F]{3,8}$/.test(params[k])) {
        doc.style.setProperty(map[k], params[k]);
      }
    });
    doc.classList.add("tg");
  }
  theme();
  window.addEventListener("hashchange", theme);

  // -- tabs: one kind at a time ---------------------------------------------------------
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.kind"));
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".tabs a"));
  function show(kind) {
    sections.forEach(function (s) { s.classList.toggle("on", s.getAttribute("data-kind") === kind); });
    tabs.forEach(function (a) { a.classList.toggle("on", a.getAttribute("data-tab") === kind); });
  }
  tabs.forEach(function (a) {
    a.addEventListener("click", function (ev) { ev.preventDefault(); show(a.getAttribute("data-tab")); });
  });
  if (sections.length) {
    var wanted = /^#k-/.test(location.hash) ? location.hash.slice(3).replace("-", "/") : null;
    show(sections.some(function (s) { return s.getAttribute("data-kind") === wanted; })
         ? wanted : sections[0].getAttribute("data-kind"));
  }

  // -- the filter: rows and columns whose names (or aliases) hold what is typed ------------
  function norm(text) {
    return text.normalize("NFKC").toLowerCase().replace(/[\s.\-_'’&,()·\/|]+/g, "");
  }
  function filterTable(section, q) {
    var table = section.querySelector("table.matrix");
    var heads = table.tHead.rows[0].cells;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var members = rows.filter(function (r) { return !r.classList.contains("grp"); });
    var n = heads.length, i, j;
    var colHit = [], colShow = [];
    for (i = 1; i < n; i++) {
      colHit[i] = !q || heads[i].getAttribute("data-keys").indexOf(q) >= 0;
      colShow[i] = colHit[i];
    }
    var rowShow = members.map(function (r) {
      if (!q) return true;
      var hit = r.getAttribute("data-keys").indexOf(q) >= 0;
      var show = hit;
      for (i = 1; i < n; i++) {
        var filled = r.cells[i].firstChild !== null;
        if (hit && filled) colShow[i] = true;
        if (colHit[i] && filled) show = true;
      }
      return show;
    });
    var any = false;
    members.forEach(function (r, k) {
      r.hidden = !rowShow[k];
      any = any || rowShow[k];
      for (i = 1; i < n; i++) r.cells[i].hidden = !colShow[i];
    });
    for (i = 1; i < n; i++) heads[i].hidden = !colShow[i];
    for (j = 0; j < rows.length; j++) {  // a group's heading stays while one of its rows does
      if (!rows[j].classList.contains("grp")) continue;
      var keep = false;
      for (var k = j + 1; k < rows.length && !rows[k].classList.contains("grp"); k++) {
        if (!rows[k].hidden) { keep = true; break; }
      }
      rows[j].hidden = !keep;
    }
    section.querySelector(".none").hidden = any;
    return any;
  }
  var names = null;  // every company, for names the tables leave out (data/names.json)
  function elsewhere(q, shown) {
    var box = document.getElementById("elsewhere");
    if (!box) return;
    if (!q) { box.hidden = true; return; }
    function render() {
      var out = box.querySelector(".found");
      out.textContent = "";
      var lang = doc.getAttribute("data-lang");
      var found = (names || []).filter(function (c) {
        return !shown[c.id] && c.keys.some(function (k) { return k.indexOf(q) >= 0; });
      }).slice(0, 20);
      found.forEach(function (c) {
        var a = document.createElement("a");
        a.href = "company/" + c.id + ".html";
        a.textContent = lang !== "en" && c[lang] ? c[lang] : c.name;
        out.appendChild(a);
      });
      box.hidden = found.length === 0;
    }
    if (names) { render(); return; }
    fetch("data/names.json").then(function (r) { return r.ok ? r.json() : []; })
      .then(function (data) { names = data; render(); }).catch(function () { names = []; });
  }
  var input = document.getElementById("filter");
  if (input) {
    var run = function () {
      var q = norm(input.value);
      var shown = {};
      document.querySelectorAll("[data-keys] a[href^='company/']").forEach(function (a) {
        shown[a.getAttribute("href").slice(8, -5)] = true;
      });
      sections.forEach(function (s) {
        var any = filterTable(s, q);
        var tab = document.querySelector('.tabs a[data-tab="' + s.getAttribute("data-kind") + '"]');
        if (tab) tab.classList.toggle("dim", !!q && !any);
      });
      elsewhere(q, shown);
    };
    input.addEventListener("input", run);
    if (input.value) run();
  }
})();
