// The "Vango" DevTools panel. The panel itself is served by the dev server at /__vango/devtools/ (one
// implementation for the extension and for browsers without it); this page finds the inspected page's origin and
// shows that panel in a frame.
(() => {
  "use strict";

  const PANEL_PATH = "/__vango/devtools/";
  // Evaluated in the inspected page by DevTools (not subject to the page's CSP): its origin, and whether the dev
  // server injected its client, i.e. whether the page is served by `vango dev`.
  const PROBE = "[location.origin, !!document.querySelector('script[src=\"/__vango/client.js\"]')]";
  const ATTEMPTS = 10;
  const ATTEMPT_DELAY_MS = 500;

  const frame = document.getElementById("panel");
  const message = document.getElementById("message");
  let generation = 0;

  function say(text) {
    message.textContent = text;
    message.hidden = false;
    frame.hidden = true;
  }

  function show(origin) {
    const src = new URL(PANEL_PATH, origin).href;
    if (frame.getAttribute("src") !== src) frame.setAttribute("src", src);
    message.hidden = true;
    frame.hidden = false;
  }

  // The client script is near the end of the page, so right after a navigation it may not be parsed yet: probe a
  // few times before concluding the page is not from the dev server. A newer navigation cancels older probes.
  function probe(attempt, current) {
    if (current !== generation) return;
    chrome.devtools.inspectedWindow.eval(PROBE, (result, exception) => {
      if (current !== generation) return;
      const ok = !exception && Array.isArray(result) && /^https?:\/\//.test(String(result[0]));
      if (ok && result[1]) {
        show(result[0]);
      } else if (attempt + 1 < ATTEMPTS) {
        setTimeout(() => probe(attempt + 1, current), ATTEMPT_DELAY_MS);
      } else {
        say("This page is not served by `vango dev`. Run `vango dev` in your app and open the page it serves; " +
            "the build log then appears here.");
      }
    });
  }

  function refresh() {
    generation += 1;
    probe(0, generation);
  }

  chrome.devtools.network.onNavigated.addListener(refresh);
  refresh();
})();
