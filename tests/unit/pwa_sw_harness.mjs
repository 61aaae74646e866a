// Runs a generated sw.js in a Node vm context that imitates a service worker global scope (in-memory
// CacheStorage, a fake network, event dispatch), then prints what happened as JSON for the Python tests.
//
// usage: node pwa_sw_harness.mjs <sw.js> <scenario.json>
// scenario: {origin, caches: {name: {url: body}}, server: {path: body}, failing: [path], offline: bool,
//            scripts: {path: file} (what importScripts loads), steps: [{do: "install"|"activate"|"fetch"|"message", ...}]}
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const [swPath, scenarioPath] = process.argv.slice(2);
const scenario = JSON.parse(readFileSync(scenarioPath, "utf8"));
const location = new URL("/sw.js", scenario.origin);

class MemoryCache {
  constructor() { this.entries = new Map(); }
  key(request) { return new URL(typeof request === "string" ? request : request.url, location).href; }
  async match(request) {
    const hit = this.entries.get(this.key(request));
    return hit ? hit.clone() : undefined;
  }
  async put(request, response) { this.entries.set(this.key(request), response.clone()); }
}

class MemoryStorage {
  constructor() { this.stores = new Map(); }
  async keys() { return [...this.stores.keys()]; }
  async open(name) {
    if (!this.stores.has(name)) this.stores.set(name, new MemoryCache());
    return this.stores.get(name);
  }
  async delete(name) { return this.stores.delete(name); }
}

const storage = new MemoryStorage();
for (const [name, files] of Object.entries(scenario.caches || {})) {
  const cache = await storage.open(name);
  for (const [url, spec] of Object.entries(files)) {
    const headers = spec.revision ? { "X-Vango-Revision": spec.revision } : {};
    await cache.put(url, new Response(spec.body, { headers }));
  }
}

const network = [];
let offline = false;
let failing = new Set(scenario.failing || []);

async function fakeFetch(request) {
  const url = new URL(request.url, location);
  network.push({ url: url.pathname, integrity: request.integrity || "", cache: request.cache || "",
                 mode: request.mode || "" });
  if (offline) throw new TypeError("Failed to fetch (offline)");
  if (failing.has(url.pathname)) return new Response("nope", { status: 404 });
  const body = scenario.server[url.pathname];
  if (body === undefined) return new Response("not found", { status: 404 });
  if (request.integrity) {
    const [algorithm, expected] = request.integrity.split(/-(.*)/s);
    const actual = createHash(algorithm).update(body).digest("base64");
    if (actual !== expected) throw new TypeError(`integrity mismatch for ${url.pathname}`);
  }
  return new Response(body, { status: 200, headers: { "Content-Type": "text/plain", "Content-Encoding": "br",
                                                         "Content-Length": "1" } });
}

// Relative URLs resolve against the worker's location, as in a browser.
class WorkerRequest extends Request {
  constructor(input, init) { super(typeof input === "string" ? new URL(input, location).href : input, init); }
}

const listeners = {};
const record = { skipWaiting: 0, claimed: 0, messages: [], imported: [] };
const sandbox = {
  location, caches: storage, fetch: fakeFetch, Request: WorkerRequest, Response, Headers, URL, Blob, console,
  crypto: globalThis.crypto, Uint8Array, Array,
  clients: { claim: async () => { record.claimed += 1; } },
  skipWaiting: async () => { record.skipWaiting += 1; },
  addEventListener: (type, listener) => { (listeners[type] ||= []).push(listener); },
  // As in a worker: each URL, resolved against the worker's, runs in its global scope, in order; one that
  // cannot be loaded throws (the browser then refuses the worker).
  importScripts: (...urls) => {
    for (const url of urls) {
      const path = new URL(url, location).pathname;
      const file = (scenario.scripts || {})[path];
      if (file === undefined) throw new TypeError(`importScripts: ${path} could not be loaded`);
      record.imported.push(path);
      vm.runInContext(readFileSync(file, "utf8"), sandbox, { filename: file });
    }
  },
};
sandbox.self = sandbox;
vm.createContext(sandbox);
vm.runInContext(readFileSync(swPath, "utf8"), sandbox, { filename: swPath });

function dispatch(type, fields) {
  const pending = [];
  let response = null;
  const event = {
    ...fields,
    waitUntil(promise) { pending.push(promise); },
    respondWith(promise) { response = Promise.resolve(promise); },
  };
  for (const listener of listeners[type] || []) listener(event);
  return { pending, response: () => response };
}

async function settle(promise) {
  try { return { ok: true, value: await promise }; } catch (error) { return { ok: false, error: String(error) }; }
}

async function snapshot() {
  const result = {};
  for (const [name, cache] of storage.stores) {
    result[name] = {};
    for (const [url, response] of cache.entries) {
      result[name][new URL(url).pathname] = {
        body: await response.clone().text(),
        revision: response.headers.get("X-Vango-Revision"),
        encoding: response.headers.get("Content-Encoding"),
        length: response.headers.get("Content-Length"),
      };
    }
  }
  return result;
}

const results = [];
for (const step of scenario.steps) {
  if ("offline" in step) offline = step.offline;
  if ("failing" in step) failing = new Set(step.failing);
  network.length = 0;
  const before = { ...record };
  let outcome;
  if (step.do === "install" || step.do === "activate") {
    const { pending } = dispatch(step.do, {});
    const settled = await settle(Promise.all(pending));
    outcome = { ok: settled.ok, error: settled.error, waited: pending.length, caches: await snapshot() };
  } else if (step.do === "fetch") {
    const request = {
      url: new URL(step.url, location).href, method: step.method || "GET", mode: step.mode || "cors",
      headers: new Headers(step.headers || {}), integrity: "", cache: "default",
    };
    const { response } = dispatch("fetch", { request });
    const answer = response();
    if (answer === null) {
      outcome = { responded: false };
    } else {
      const settled = await settle(answer.then((r) => r.text()));
      outcome = { responded: true, ok: settled.ok, body: settled.value, error: settled.error };
    }
  } else if (step.do === "message") {
    const replies = [];
    const port = { postMessage: (message) => replies.push({ via: "port", message }) };
    const source = { postMessage: (message) => replies.push({ via: "source", message }) };
    const { pending } = dispatch("message", { data: step.data, ports: step.port ? [port] : [], source });
    await Promise.all(pending);
    outcome = { replies };
  }
  await new Promise((resolve) => setTimeout(resolve, 5));  // let work the step left running settle
  outcome.network = [...network];
  outcome.skipWaiting = record.skipWaiting - before.skipWaiting;
  outcome.claimed = record.claimed - before.claimed;
  results.push(outcome);
}
console.log(JSON.stringify({ listeners: Object.keys(listeners).sort(), imported: record.imported, results }));
