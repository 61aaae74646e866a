// Vango dev client: live reload, stylesheet hot-swap and the build error overlay.
// Injected into HTML responses by `vango dev` only; production builds never contain it.
// No eval, no inline styles in markup: it works under the pipeline's Content-Security-Policy.
(() => {
  "use strict";
  if (window.__vangoDevClient) return; // injected twice (e.g. a page that includes it itself)
  window.__vangoDevClient = true;

  const SOCKET_PATH = "/__vango/ws";
  const RETRY_FIRST_MS = 250;
  const RETRY_MAX_MS = 2000;
  const OVERLAY_ID = "vango-dev-overlay";

  let attempt = 0;
  let connectedBefore = false;
  let leaving = false;

  function socketUrl() {
    const url = new URL(SOCKET_PATH, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.search = "";
    url.hash = "";
    return url.href;
  }

  function reload() {
    if (leaving) return;
    leaving = true;
    location.reload();
  }

  function connect() {
    let socket;
    try {
      socket = new WebSocket(socketUrl());
    } catch (error) {
      console.warn("[vango] cannot open the live-reload socket:", error);
      return;
    }
    socket.addEventListener("open", () => {
      attempt = 0;
      if (connectedBefore) {
        // The server went away and came back (a restart): builds may have happened meanwhile, and messages were
        // missed while disconnected. Reload once; the new page starts with a fresh connection.
        reload();
        return;
      }
      connectedBefore = true;
      console.info("[vango] live reload connected");
    });
    socket.addEventListener("message", (event) => {
      if (leaving) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        console.warn("[vango] unreadable message:", event.data);
        return;
      }
      handle(message);
    });
    socket.addEventListener("close", () => {
      if (leaving) return;
      const delay = Math.min(RETRY_FIRST_MS * 2 ** attempt, RETRY_MAX_MS);
      attempt += 1;
      setTimeout(connect, delay);
    });
  }

  function handle(message) {
    switch (message && message.type) {
      case "reload":
        reload();
        break;
      case "css":
        hideError(); // a stylesheet-only update comes from a successful build
        if (!swapStylesheets(Array.isArray(message.changes) ? message.changes : [])) reload();
        break;
      case "error":
        showError(String(message.task || ""), String(message.message || ""));
        break;
      case "ok":
        hideError();
        break;
      default:
        break; // unknown types are ignored: newer servers may send more
    }
  }

  // ---- stylesheets --------------------------------------------------------------------------------------------

  function pathnameOf(href) {
    try {
      return new URL(href, document.baseURI).pathname;
    } catch (error) {
      return null;
    }
  }

  // Replace every <link rel=stylesheet> whose pathname is a change's `from` with one pointing at `to` (and its
  // integrity). The new link is loaded next to the old one, which goes once it applies: no flash of unstyled
  // content. Returns the number of links swapped; none means the change is not visible here, so reload.
  function swapStylesheets(changes) {
    let swapped = 0;
    const links = Array.from(document.querySelectorAll('link[rel~="stylesheet" i]'));
    for (const change of changes) {
      if (!change || typeof change.from !== "string" || typeof change.to !== "string") continue;
      const from = pathnameOf(change.from);
      for (const link of links) {
        if (!link.isConnected || link.dataset.vangoReplaced === "1") continue;
        if (pathnameOf(link.getAttribute("href") || "") !== from) continue;
        const next = link.cloneNode(false);
        next.setAttribute("href", change.to);
        if (change.integrity) next.setAttribute("integrity", change.integrity);
        else next.removeAttribute("integrity");
        link.dataset.vangoReplaced = "1";
        next.addEventListener("load", () => link.remove(), { once: true });
        next.addEventListener("error", () => reload(), { once: true });
        link.after(next);
        swapped += 1;
      }
    }
    return swapped;
  }

  // ---- error overlay ------------------------------------------------------------------------------------------

  const OVERLAY_CSS = `
    :host { all: initial; }
    .panel { position: fixed; left: 0; right: 0; bottom: 0; max-height: 50vh; overflow: auto;
      z-index: 2147483647; box-sizing: border-box; margin: 0; padding: 12px 16px 16px;
      background: rgba(24, 24, 27, 0.96); color: #f4f4f5; border-top: 3px solid #ef4444;
      font: 13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
      box-shadow: 0 -4px 24px rgba(0, 0, 0, 0.35); }
    .head { display: flex; align-items: center; gap: 12px; margin-bottom: 8px; }
    .title { color: #fca5a5; font-weight: bold; flex: 1; }
    .hint { color: #a1a1aa; }
    button { font: inherit; color: #f4f4f5; background: #3f3f46; border: 1px solid #52525b; border-radius: 4px;
      padding: 2px 10px; cursor: pointer; }
    button:hover { background: #52525b; }
    pre { margin: 0; white-space: pre-wrap; word-break: break-word; font: inherit; user-select: text; }
  `;

  const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

  function overlayStyles(shadow) {
    if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(OVERLAY_CSS); // constructed stylesheets are CSSOM, not inline styles: CSP allows them
      shadow.adoptedStyleSheets = [sheet];
    } else {
      const style = document.createElement("style");
      style.textContent = OVERLAY_CSS;
      shadow.appendChild(style);
    }
  }

  function showError(task, text) {
    hideError();
    // Attached to <html>, not <body>: apps that rebuild their body keep the overlay. Only the panel at the bottom
    // takes clicks; the page above it stays usable, and Escape or the button dismisses it.
    const host = document.createElement("vango-dev-overlay");
    host.id = OVERLAY_ID;
    const shadow = host.attachShadow({ mode: "open" });
    overlayStyles(shadow);
    const panel = document.createElement("div");
    panel.className = "panel";
    panel.setAttribute("role", "alert");
    const head = document.createElement("div");
    head.className = "head";
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = task ? `Build failed: ${task}` : "Build failed";
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = "fix the error and save: the page updates by itself";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "dismiss";
    close.textContent = "Dismiss";
    close.setAttribute("aria-label", "Dismiss the build error");
    close.addEventListener("click", hideError);
    head.append(title, hint, close);
    const pre = document.createElement("pre");
    pre.className = "message";
    pre.textContent = text.replace(ANSI, "");
    panel.append(head, pre);
    shadow.appendChild(panel);
    document.documentElement.appendChild(host);
    console.error(`[vango] ${title.textContent}\n${pre.textContent}`);
  }

  function hideError() {
    const host = document.getElementById(OVERLAY_ID);
    if (host) host.remove();
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.getElementById(OVERLAY_ID)) hideError();
  });

  window.addEventListener("pagehide", () => {
    leaving = true;
  });
  window.addEventListener("pageshow", (event) => {
    // Restored from the back/forward cache: the old socket is gone and builds may have happened.
    if (event.persisted) location.reload();
  });

  connect();
})();
