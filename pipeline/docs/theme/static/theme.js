// The docs theme's behaviour: dark-mode toggle, the navigation drawer on small screens, and search, which
// loads Pagefind only when the reader first uses it (the index is sharded; every shard is merged).
(function () {
  "use strict";
  var html = document.documentElement;
  var root = html.dataset.root || "";
  var KEY = "vango-docs-theme";

  function effectiveTheme() {
    if (html.dataset.theme) return html.dataset.theme;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  var toggle = document.querySelector(".theme-toggle");
  if (toggle) {
    toggle.setAttribute("aria-pressed", String(effectiveTheme() === "dark"));
    toggle.addEventListener("click", function () {
      var next = effectiveTheme() === "dark" ? "light" : "dark";
      html.dataset.theme = next;
      try { localStorage.setItem(KEY, next); } catch (e) { /* not persisted */ }
      toggle.setAttribute("aria-pressed", String(next === "dark"));
    });
  }

  var menu = document.querySelector(".menu-toggle");
  if (menu) {
    menu.addEventListener("click", function () {
      var open = document.body.classList.toggle("nav-open");
      menu.setAttribute("aria-expanded", String(open));
    });
  }

  var input = document.getElementById("search-input");
  var results = document.getElementById("search-results");
  if (!input || !results || input.disabled) return;
  var loading = null;

  function load() {
    if (!loading) {
      var base = new URL(root || "./", window.location.href);
      loading = fetch(new URL("pagefind/shards.json", base)).then(function (r) {
        if (!r.ok) throw new Error("no search index (" + r.status + ")");
        return r.json();
      }).then(function (shards) {
        var first = new URL("pagefind/" + shards[0] + "/", base);
        return import(new URL("pagefind.js", first).href).then(function (pagefind) {
          return pagefind.options({ baseUrl: base.pathname }).then(function () {
            return Promise.all(shards.slice(1).map(function (name) {
              return pagefind.mergeIndex(new URL("pagefind/" + name + "/", base).href, { baseUrl: base.pathname });
            }));
          }).then(function () { return pagefind; });
        });
      });
      loading.catch(function (error) { show([], String(error)); });
    }
    return loading;
  }

  function show(items, message) {
    results.replaceChildren();
    if (message) {
      var note = document.createElement("p");
      note.className = "search-note";
      note.textContent = message;
      results.appendChild(note);
    }
    var list = document.createElement("ol");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = (item.meta && item.meta.title) || item.url;
      var excerpt = document.createElement("p");
      excerpt.innerHTML = item.excerpt; // Pagefind's excerpt: the page's own text, with <mark> around hits
      li.append(a, excerpt);
      list.appendChild(li);
    });
    if (items.length) results.appendChild(list);
    results.hidden = !message && !items.length;
  }

  var latest = 0;
  function search() {
    var query = input.value.trim();
    var ticket = ++latest;
    if (!query) { show([], ""); return; }
    load().then(function (pagefind) {
      return pagefind.debouncedSearch(query, {}, 150);
    }).then(function (found) {
      if (found === null || ticket !== latest) return null;
      return Promise.all(found.results.slice(0, 10).map(function (r) { return r.data(); }));
    }).then(function (items) {
      if (items === null || ticket !== latest) return;
      show(items, items.length ? "" : "No results for \u201c" + query + "\u201d");
    }).catch(function () { /* reported by load() */ });
  }

  input.addEventListener("focus", load, { once: true });
  input.addEventListener("input", search);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { input.value = ""; show([], ""); input.blur(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && document.activeElement !== input && !/INPUT|TEXTAREA/.test(document.activeElement.tagName)) {
      event.preventDefault();
      input.focus();
    }
  });
})();
