// Vango DevTools panel: the live build log of `vango dev`, from the /__vango/devtools WebSocket.
// Served at /__vango/devtools/ and shown (in a frame) by the DevTools extension. Plain DOM, no eval, no inline
// code: it runs under a strict Content-Security-Policy.
(() => {
  "use strict";

  const SOCKET_PATH = "/__vango/devtools";
  const RETRY_FIRST_MS = 250;
  const RETRY_MAX_MS = 2000;
  const MAX_BUILDS = 100;
  const STATUS_TEXT = { executed: "executed", uptodate: "up to date", failed: "failed", running: "running" };

  const buildsElement = document.getElementById("builds");
  const emptyElement = document.getElementById("empty");
  const statusElement = document.getElementById("status");
  const cleared = new Set(); // keys of builds hidden by "Clear" (they come back in the replay otherwise)

  let builds = new Map(); // id -> build, in arrival order
  let arrival = 0;
  let attempt = 0;
  let renderQueued = false;

  // ---- model --------------------------------------------------------------------------------------------------

  function buildFor(id) {
    let build = builds.get(id);
    if (!build) {
      build = { id, order: arrival++, trigger: [], ts: null, tasks: new Map(), spans: new Map(), finished: null };
      builds.set(id, build);
      while (builds.size > MAX_BUILDS) builds.delete(builds.keys().next().value);
    }
    return build;
  }

  function keyOf(build) {
    return `${build.id}@${build.ts}`;
  }

  function apply(event) {
    if (!event || typeof event !== "object") return;
    const id = event.id;
    switch (event.type) {
      case "build.started": {
        builds.delete(id); // a new build with a reused id (the server restarted): start over
        const build = buildFor(id);
        build.trigger = Array.isArray(event.trigger) ? event.trigger.map(String) : [];
        build.ts = event.ts ?? null;
        break;
      }
      case "task": {
        const build = buildFor(id);
        build.tasks.set(String(event.task), { task: String(event.task), status: event.status,
                                              duration_s: event.duration_s });
        break;
      }
      case "span": {
        const build = buildFor(id);
        if (typeof event.span_id === "string" && typeof event.start === "number") {
          build.spans.set(event.span_id, {
            id: event.span_id, parent: String(event.parent_id || ""), name: String(event.name), task: event.task,
            start: event.start, duration: Number(event.duration_s) || 0, status: event.status,
          });
        }
        break;
      }
      case "build.finished": {
        const build = buildFor(id);
        if (Array.isArray(event.tasks)) {
          build.tasks = new Map(event.tasks.map((task) => [String(task.task), task]));
        }
        build.finished = {
          ok: event.ok !== false,
          duration_s: event.duration_s,
          patch: Array.isArray(event.patch) ? event.patch : [],
          error: event.error || null,
        };
        break;
      }
      default:
        return; // other event types are not shown (yet)
    }
    scheduleRender();
  }

  // ---- formatting ---------------------------------------------------------------------------------------------

  function seconds(value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return "";
    if (value < 1) return `${Math.round(value * 1000)} ms`;
    return `${value.toFixed(2)} s`;
  }

  function bytes(value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return "";
    const size = Math.abs(value);
    if (size < 1024) return `${value} B`;
    if (size < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
    return `${(value / (1024 * 1024)).toFixed(2)} MiB`;
  }

  function delta(before, after) {
    const difference = (after ? after.size || 0 : 0) - (before ? before.size || 0 : 0);
    if (difference === 0) return "±0 B";
    return difference > 0 ? `+${bytes(difference)}` : `−${bytes(-difference)}`;
  }

  function shortHash(hash) {
    if (typeof hash !== "string") return "";
    const bare = hash.replace(/^[a-z0-9]+[-:]/i, "");
    return bare.slice(0, 8);
  }

  function clock(ts) {
    if (typeof ts === "number") return new Date(ts * 1000).toLocaleTimeString();
    return ts == null ? "" : String(ts);
  }

  // ---- rendering ----------------------------------------------------------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function table(className, headings, rows) {
    const node = element("table", className);
    const head = node.createTHead().insertRow();
    for (const heading of headings) head.appendChild(element("th", null, heading));
    const body = node.createTBody();
    for (const cells of rows) {
      const row = body.insertRow();
      for (const cell of cells) {
        const td = row.insertCell();
        if (cell instanceof Node) td.appendChild(cell);
        else td.textContent = cell;
      }
    }
    return node;
  }

  function version(side) {
    if (!side) return element("span", "none", "—");
    const node = element("span", "version");
    node.appendChild(element("span", "size", bytes(side.size)));
    node.appendChild(document.createTextNode(" "));
    const hash = element("code", "hash", shortHash(side.hash));
    if (side.hash) hash.title = String(side.hash);
    node.appendChild(hash);
    return node;
  }

  // The served path; a content-hashed file that was renamed also shows its previous name (when the event has it).
  function file(entry) {
    const node = element("span", "file");
    node.appendChild(element("code", "path", entry.path));
    const previous = entry.before && entry.before.path;
    if (previous && previous !== entry.path) node.appendChild(element("span", "was", ` (was ${previous})`));
    if (entry.name && entry.name !== entry.path) node.title = String(entry.name);
    return node;
  }

  function renderBuild(build) {
    const finished = build.finished;
    const state = !finished ? "running" : finished.ok ? "ok" : "failed";
    const section = element("section", `build ${state}`);
    section.dataset.buildId = String(build.id);

    const header = element("header", "build-head");
    header.appendChild(element("span", "badge", state === "ok" ? "✓" : state === "failed" ? "✗" : "…"));
    header.appendChild(element("span", "title", `Build #${build.id}`));
    header.appendChild(element("span", "state", state === "ok" ? "ok" : state));
    if (finished) header.appendChild(element("span", "duration", seconds(finished.duration_s)));
    header.appendChild(element("time", "time", clock(build.ts)));
    const tasks = Array.from(build.tasks.values());
    const executed = tasks.filter((task) => task.status === "executed").length;
    const uptodate = tasks.filter((task) => task.status === "uptodate").length;
    const patchCount = finished ? finished.patch.length : 0;
    header.appendChild(element("span", "summary",
      `${executed} executed, ${uptodate} up to date` + (finished ? `, ${patchCount} file(s) changed` : "")));
    section.appendChild(header);

    const trigger = element("div", "trigger");
    trigger.appendChild(element("span", "label", build.trigger.length ? "Changed: " : "Initial build"));
    for (const path of build.trigger) trigger.appendChild(element("code", "trigger-file", path));
    section.appendChild(trigger);

    if (finished && finished.error) section.appendChild(element("pre", "error", finished.error));

    if (tasks.length) {
      section.appendChild(table("tasks", ["task", "status", "time"], tasks.map((task) => {
        const status = element("span", `status-${task.status}`, STATUS_TEXT[task.status] || String(task.status));
        return [String(task.task), status, seconds(task.duration_s)];
      })));
    }

    if (build.spans.size) section.appendChild(waterfall(build));

    if (finished && finished.patch.length) {
      section.appendChild(table("patch", ["change", "file", "before", "after", "Δ size"], finished.patch.map(
        (entry) => [element("span", `change-${entry.change}`, entry.change), file(entry),
                    version(entry.before), version(entry.after), delta(entry.before, entry.after)])));
    } else if (finished && finished.ok) {
      section.appendChild(element("p", "no-patch", "No output file changed."));
    }
    return section;
  }

  // The build's spans as a timeline: each row a span, children under their parent, bars on one time axis.
  function waterfall(build) {
    const spans = Array.from(build.spans.values());
    const children = new Map();
    for (const span of spans) {
      const parent = build.spans.has(span.parent) ? span.parent : "";
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(span);
    }
    const rows = [];
    const visit = (parent, depth) => {
      const list = (children.get(parent) || []).sort((a, b) => a.start - b.start);
      for (const span of list) {
        rows.push({ span, depth });
        visit(span.id, depth + 1);
      }
    };
    visit("", 0);
    const start = Math.min(...spans.map((s) => s.start));
    const end = Math.max(...spans.map((s) => s.start + s.duration));
    const total = Math.max(end - start, 1e-6);
    const node = element("div", "waterfall");
    node.appendChild(element("div", "waterfall-title", `Timeline (${seconds(total)})`));
    for (const { span, depth } of rows) {
      const row = element("div", `span-row span-${span.status === "error" ? "error" : "ok"}`);
      row.dataset.span = span.name;
      const label = element("span", "span-name", span.name);
      label.style.paddingLeft = `${depth * 12}px`;
      const track = element("span", "span-track");
      const bar = element("span", "span-bar");
      bar.style.left = `${((span.start - start) / total) * 100}%`;
      bar.style.width = `${Math.max((span.duration / total) * 100, 0.3)}%`;
      bar.title = `${span.name}: ${seconds(span.duration)}`;
      track.appendChild(bar);
      row.append(label, track, element("span", "span-time", seconds(span.duration)));
      node.appendChild(row);
    }
    return node;
  }

  function render() {
    renderQueued = false;
    const visible = Array.from(builds.values())
      .filter((build) => !cleared.has(keyOf(build)))
      .sort((a, b) => b.order - a.order);
    buildsElement.replaceChildren(...visible.map(renderBuild));
    emptyElement.hidden = visible.length > 0;
  }

  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(render, 0);
  }

  document.getElementById("clear").addEventListener("click", () => {
    for (const build of builds.values()) cleared.add(keyOf(build));
    render();
  });

  // ---- connection ---------------------------------------------------------------------------------------------

  function setStatus(state, text) {
    statusElement.dataset.state = state;
    statusElement.textContent = text;
  }

  function connect() {
    const url = new URL(SOCKET_PATH, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url.href);
    socket.addEventListener("open", () => {
      attempt = 0;
      // The server replays its recent events to every connection: start from them, not on top of them.
      builds = new Map();
      render();
      setStatus("open", "live");
    });
    socket.addEventListener("message", (message) => {
      try {
        apply(JSON.parse(message.data));
      } catch (error) {
        console.warn("[vango devtools] bad event", error);
      }
    });
    socket.addEventListener("close", () => {
      const delay = Math.min(RETRY_FIRST_MS * 2 ** attempt, RETRY_MAX_MS);
      attempt += 1;
      setStatus("closed", "disconnected, reconnecting…");
      setTimeout(connect, delay);
    });
  }

  render();
  connect();
})();
