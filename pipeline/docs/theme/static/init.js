// Runs before the first paint (a blocking script in <head>): apply the reader's chosen theme, if any, so a
// dark-mode reader never sees a light flash. Without a choice, CSS follows prefers-color-scheme.
(function () {
  try {
    var chosen = localStorage.getItem("vango-docs-theme");
    if (chosen === "dark" || chosen === "light") document.documentElement.dataset.theme = chosen;
  } catch (e) { /* storage may be disabled */ }
})();
