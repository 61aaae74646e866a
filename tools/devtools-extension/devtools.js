// Runs once per DevTools window: adds the "Vango" panel (its page is panel.html).
chrome.devtools.panels.create("Vango", "", "panel.html");
