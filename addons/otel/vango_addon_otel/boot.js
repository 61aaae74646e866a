// Vango otel addon: reports the page's WebAssembly boot as OpenTelemetry spans (OTLP/HTTP JSON).
// wasm.fetch and wasm.instantiate come from the loader's performance marks; wasm.hydrate runs from the
// start of the Go program's main to the next frame after its first change to the page. The four spans
// (wasm.boot and its three children) are posted once, to VANGO_OTEL.endpoint.
(() => {
  const config = VANGO_OTEL;
  const LOADER = "vango-loader";
  const WAIT_MS = 10000;
  const hex = (bytes) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0")).join("");
  const nanos = (ms) => (BigInt(Math.round((performance.timeOrigin + ms) * 1000)) * 1000n).toString();
  const markAt = (name) => performance.getEntriesByName(`vango:${name}`, "mark")[0]?.startTime;
  const traceId = hex(16);
  const rootId = hex(8);
  let sent = false;

  const attribute = (key, value) => typeof value === "number"
    ? { key, value: Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value } }
    : { key, value: { stringValue: String(value) } };

  function span(name, spanId, parentId, start, end, attributes = {}) {
    return {
      traceId, spanId, parentSpanId: parentId, name, kind: 1,
      startTimeUnixNano: nanos(start), endTimeUnixNano: nanos(Math.max(start, end)),
      attributes: Object.entries(attributes).map(([k, v]) => attribute(k, v)), status: {},
    };
  }

  function send(hydratedAt) {
    if (sent) return;
    const fetchStart = markAt("wasm-fetch-start");
    const fetchEnd = markAt("wasm-fetch-end");
    const instStart = markAt("wasm-instantiate-start");
    const instEnd = markAt("wasm-instantiate-end");
    const main = markAt("main-start");
    if ([fetchStart, fetchEnd, instStart, instEnd, main].some((t) => t === undefined)) return;
    sent = true;
    const wasm = performance.getEntriesByType("resource").find((e) => new URL(e.name).pathname.endsWith(".wasm"));
    const end = hydratedAt ?? main;
    const spans = [
      span("wasm.boot", rootId, "", fetchStart, end, { "url.path": location.pathname }),
      span("wasm.fetch", hex(8), rootId, fetchStart, fetchEnd,
        wasm ? { "url.path": new URL(wasm.name).pathname, "http.response.body.size": wasm.encodedBodySize || 0,
                 "vango.wasm.decoded_bytes": wasm.decodedBodySize || 0 } : {}),
      span("wasm.instantiate", hex(8), rootId, instStart, instEnd),
    ];
    if (hydratedAt !== undefined) spans.push(span("wasm.hydrate", hex(8), rootId, main, hydratedAt));
    const body = {
      resourceSpans: [{
        resource: { attributes: [attribute("service.name", config.service_name),
                                 attribute("telemetry.sdk.language", "webjs")] },
        scopeSpans: [{ scope: { name: "vango.browser" }, spans }],
      }],
    };
    fetch(config.endpoint, {
      method: "POST", body: JSON.stringify(body), keepalive: true, credentials: "omit",
      headers: { "Content-Type": "application/json" },
    }).catch(() => {});  // telemetry never disturbs the page
  }

  const fromLoader = (record) => record.target.id === LOADER || record.target.closest?.(`#${LOADER}`)
    || [...record.removedNodes].some((node) => node.id === LOADER);

  const observer = new MutationObserver((records) => {
    if (markAt("main-start") === undefined || records.every(fromLoader)) return;
    observer.disconnect();
    const changed = performance.now();
    requestAnimationFrame(() => send(Math.max(changed, performance.now())));
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  // A program that never changes the page still reports its fetch and instantiation.
  setTimeout(() => { observer.disconnect(); send(undefined); }, WAIT_MS);
})();
