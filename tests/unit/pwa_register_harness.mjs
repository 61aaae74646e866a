// Runs a generated register.js in a Node vm context with a fake window, document and service worker
// container, drives a scenario, and prints what the page saw as JSON for the Python tests.
//
// usage: node pwa_register_harness.mjs <register.js> <scenario.json>
// scenario: {supported: bool, controlled: bool, readyState: "complete"|"loading", waiting: bool,
//            steps: [{do: "load"|"updatefound"|"controllerchange"|"visible"|"update"|"request-update"}]}
import { readFileSync } from "node:fs";
import vm from "node:vm";

const [scriptPath, scenarioPath] = process.argv.slice(2);
const scenario = JSON.parse(readFileSync(scenarioPath, "utf8"));
const record = { registered: [], posted: [], reloads: 0, updates: 0, events: [], warnings: [] };
let detail = null;

function target() {
  const listeners = {};
  return {
    listeners,
    addEventListener(type, listener) { (listeners[type] ||= []).push(listener); },
    fire(type, event = {}) { for (const listener of listeners[type] || []) listener(event); },
  };
}

function worker(name) {
  const events = target();
  return {
    name, state: "installing", ...events,
    postMessage(message) { record.posted.push({ to: name, message }); },
  };
}

const registration = { ...target(), waiting: scenario.waiting ? worker("waiting-at-load") : null, installing: null,
                       update() { record.updates += 1; return Promise.reject(new Error("offline")); } };
const container = {
  ...target(),
  controller: scenario.controlled ? worker("current") : null,
  register(url, options) {
    record.registered.push({ url, options });
    return scenario.registerFails ? Promise.reject(new Error("SecurityError")) : Promise.resolve(registration);
  },
};
const windowEvents = target();
const documentEvents = target();
const documentElement = { dataset: {} };
const document = { ...documentEvents, documentElement, readyState: scenario.readyState || "complete",
                   visibilityState: "hidden" };
const navigator = scenario.supported === false ? {} : { serviceWorker: container };
const window = {
  ...windowEvents,
  location: { reload() { record.reloads += 1; } },
  dispatchEvent(event) {
    record.events.push({ type: event.type, hasUpdate: typeof event.detail?.update === "function" });
    if (event.detail) detail = event.detail;
    windowEvents.fire(event.type, event);
    return true;
  },
};

const sandbox = { window, document, navigator, CustomEvent, Event, console: {
  ...console, warn: (...args) => record.warnings.push(args.map(String).join(" ")) } };
vm.createContext(sandbox);
const globalsBefore = new Set(Object.getOwnPropertyNames(sandbox));
vm.runInContext(readFileSync(scriptPath, "utf8"), sandbox, { filename: scriptPath });
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
await flush();

let counter = 0;
for (const step of scenario.steps || []) {
  if (step.do === "load") {
    document.readyState = "complete";
    window.fire("load");
  } else if (step.do === "updatefound") {
    const installing = worker(`new-${++counter}`);
    registration.installing = installing;
    registration.fire("updatefound");
    installing.state = "installed";
    registration.installing = null;
    registration.waiting = installing;
    installing.fire("statechange");
  } else if (step.do === "controllerchange") {
    container.controller = worker(`controller-${++counter}`);
    container.fire("controllerchange");
  } else if (step.do === "visible") {
    document.visibilityState = "visible";
    document.fire("visibilitychange");
  } else if (step.do === "update") {
    detail.update();
  } else if (step.do === "request-update") {
    window.dispatchEvent(new Event("vango:update"));
  }
  await flush();
}

const newGlobals = Object.getOwnPropertyNames(sandbox).filter((name) => !globalsBefore.has(name));
console.log(JSON.stringify({ ...record, dataset: documentElement.dataset, newGlobals }));
