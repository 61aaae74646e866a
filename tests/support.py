"""Helpers shared by the tests: running the pipeline as a user would (a subprocess) and comparing trees."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "todo"
IGNORED = shutil.ignore_patterns("build", "dist", ".doit*")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    events: list[dict] = field(default_factory=list)

    def executed(self) -> set[str]:
        return {e["task"] for e in self.events if e.get("event") == "task.executed"}

    def uptodate(self) -> set[str]:
        return {e["task"] for e in self.events if e.get("event") == "task.uptodate"}


def run_pipeline(argv: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300,
                 python_flags: list[str] | None = None) -> Run:
    """Run ``python [flags] -m <module> ...`` with JSON logs and parse the events from stderr."""
    full_env = {**os.environ, "VANGO_LOG_FORMAT": "json", **(env or {})}
    full_env.pop("VANGO_RUN_ID", None)
    proc = subprocess.run([sys.executable, *(python_flags or []), "-m", *argv], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    events = []
    for line in proc.stderr.splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    return Run(proc.returncode, proc.stdout, proc.stderr, events)


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file's sha256, mtime (ns) and inode: equal snapshots mean nothing was rewritten."""
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            state[path.relative_to(folder).as_posix()] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                          st.st_mtime_ns, st.st_ino)
    return state


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class LoggedProcess:
    """A long-running pipeline command (``doit watch``, ``vango dev``) whose JSON log lines are read as they
    come; every wait is bounded, and ``stop`` ends it with Ctrl-C (then a kill)."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None):
        import queue
        import threading

        full_env = {**os.environ, "VANGO_LOG_FORMAT": "json", **(env or {})}
        full_env.pop("VANGO_RUN_ID", None)
        self.proc = subprocess.Popen([sys.executable, "-m", *argv], cwd=cwd, env=full_env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.events: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            if line.startswith("{"):
                self.events.put(json.loads(line))

    def next_event(self, name: str, timeout: float = 120, collect: list[dict] | None = None,
                   collect_name: str = "task.failed") -> dict:
        """The next log record whose ``event`` is ``name``; records named ``collect_name`` seen on the way
        are appended to ``collect``."""
        import queue
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.proc.args} exited with {self.proc.returncode}") from None
                continue
            self.seen.append(event)
            if collect is not None and event.get("event") == collect_name:
                collect.append(event)
            if event.get("event") == name:
                return event
        raise TimeoutError(f"no {name} event within {timeout}s")

    def stop(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)


def free_port() -> int:
    """A port nothing listens on now, on the loopback interface."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_binary(path: str, package: str) -> str:
    """The server binary a test talks to: skipped with a reason locally when it is missing, a failure under
    CI=true (``.ci/run`` installs Debian's ``package``)."""
    import pytest

    if os.path.exists(path):
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {path} is missing: .ci/run must install Debian's {package}")
    pytest.skip(f"{path} is not installed (Debian package {package})")


class Service:
    """A real server for a test: started on a free loopback port with its own temp config, ready when its
    ``ready_path`` answers 200 (within ``timeout`` seconds), stopped by its PID."""

    def __init__(self, argv: list[str], port: int, ready_path: str, cwd: Path, timeout: float = 60) -> None:
        import time
        import urllib.request

        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = cwd / "service.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"{argv[0]} was not ready within {timeout}s: {self.log.read_text()[-2000:]}")

    def get(self, path: str) -> bytes:
        import urllib.request

        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read()

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


class OtlpReceiver:
    """An OTLP/HTTP traces endpoint (``POST /v1/traces``) on a free loopback port, in a thread: decodes
    protobuf bodies with ``opentelemetry-proto`` and JSON bodies (browsers) as they are, answers CORS
    preflights, and can be told to stall (``delay`` seconds before answering)."""

    def __init__(self, delay: float = 0.0) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.spans: list[dict] = []
        self.requests: list[dict] = []
        self.delay = delay
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self._cors()
                self.send_header("access-control-allow-methods", "POST")
                self.send_header("access-control-allow-headers", "content-type")
                self.end_headers()

            def do_POST(self) -> None:
                import time

                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                receiver._record(self.path, self.headers.get("content-type", ""), dict(self.headers), body)
                self.send_response(200)
                self._cors()
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def _cors(self) -> None:
                self.send_header("access-control-allow-origin", self.headers.get("origin") or "*")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _record(self, path: str, content_type: str, headers: dict, body: bytes) -> None:
        spans = self.decode(content_type, body)
        with self._arrived:
            self.requests.append({"path": path, "content_type": content_type, "headers": headers})
            self.spans.extend(spans)
            self._arrived.notify_all()

    @staticmethod
    def decode(content_type: str, body: bytes) -> list[dict]:
        """Spans as dicts: name, trace_id/span_id/parent_id (hex), start/end (ns), attributes, resource."""
        if content_type.startswith("application/json"):
            request = json.loads(body)
            found = []
            for resource_spans in request.get("resourceSpans", []):
                resource = {a["key"]: next(iter(a["value"].values()))
                            for a in resource_spans.get("resource", {}).get("attributes", [])}
                for scope in resource_spans.get("scopeSpans", []):
                    for span in scope.get("spans", []):
                        found.append({"name": span["name"], "trace_id": span["traceId"], "span_id": span["spanId"],
                                      "parent_id": span.get("parentSpanId") or "",
                                      "start": int(span["startTimeUnixNano"]), "end": int(span["endTimeUnixNano"]),
                                      "attributes": {a["key"]: next(iter(a["value"].values()))
                                                     for a in span.get("attributes", [])}, "resource": resource})
            return found
        from google.protobuf.json_format import MessageToDict
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        found = []
        for resource_spans in request.resource_spans:
            resource = {a.key: MessageToDict(a.value) for a in resource_spans.resource.attributes}
            resource = {k: next(iter(v.values())) for k, v in resource.items()}
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    attributes = {a.key: next(iter(MessageToDict(a.value).values())) for a in span.attributes}
                    found.append({"name": span.name, "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                                  "parent_id": span.parent_span_id.hex(), "start": span.start_time_unix_nano,
                                  "end": span.end_time_unix_nano, "attributes": attributes, "resource": resource})
        return found

    def wait_for(self, predicate, timeout: float = 30.0) -> list[dict]:
        import time

        deadline = time.monotonic() + timeout
        with self._arrived:
            while not predicate(self.spans):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the spans expected did not arrive within {timeout}s: "
                                       f"{sorted({s['name'] for s in self.spans})}")
                self._arrived.wait(left)
            return list(self.spans)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def tags(page: str | bytes, tag: str) -> list[dict[str, str]]:
    """The attributes of every ``<tag>`` of an HTML page, as the browser reads them (release builds minify
    pages, so attributes may be unquoted: compare parsed attributes, not text)."""
    import lxml.html

    tree = lxml.html.document_fromstring(page.encode() if isinstance(page, str) else page)
    return [dict(element.attrib) for element in tree.iter(tag)]


def aged(root: Path) -> None:
    """Every file and folder below ``root`` (but build/ and dist/) an hour old, as an app's are between edits:
    the claims memo and the task-list plan never trust what changed in the last two seconds."""
    import time

    past = time.time_ns() - 3600 * 1_000_000_000
    for path in [root, *root.rglob("*")]:
        if not {"build", "dist"} & set(path.relative_to(root).parts[:1]):
            os.utime(path, ns=(past, past), follow_symlinks=False)

