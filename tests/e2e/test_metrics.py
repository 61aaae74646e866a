"""Prometheus metrics as operators collect them: the run's textfile, a real Pushgateway receiving a CI push,
and a real Prometheus scraping a running ``vango dev``."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support import REPO, LoggedProcess, Service, free_port, require_binary

pytestmark = pytest.mark.e2e

TASKS = {"static", "css", "js", "wasm:compile", "wasm:runtime", "pwa", "public", "pages", "sw", "deploy",
         "compress", "manifest", "release"}


def samples(text: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def test_every_build_writes_a_textfile_the_collector_reads(app: Path, vango):
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr
    reports = app / "build" / "reports"
    text = (reports / "metrics.prom").read_text(encoding="utf-8")
    assert [p.name for p in reports.iterdir() if p.name.startswith("metrics.prom")] == ["metrics.prom"]  # no temp
    found = samples(text)
    durations = {s.labels["task"]: s for s in found["vango_task_duration_seconds"]}
    assert set(durations) == TASKS and all(s.labels["status"] == "executed" for s in durations.values())
    assert durations["compress"].value > 0
    (info,) = found["vango_build_info"]
    assert info.labels["go_version"].startswith("go1.") and info.labels["app"] == "Vango Todo"
    sizes = {(s.labels["asset"], s.labels["encoding"]): s.value for s in found["vango_artifact_size_bytes"]}
    manifest = json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))
    wasm = manifest["assets"]["app.wasm"]
    assert sizes[("app.wasm", "identity")] == wasm["size"]
    assert sizes[("app.wasm", "br")] == wasm["encodings"]["br"]["size"] < sizes[("app.wasm", "gzip")]
    assert found["vango_build_exit_code"][0].value == 0
    assert {s.labels["status"]: s.value for s in found["vango_build_tasks"]}["executed"] == len(TASKS)

    again = vango(app, "build")
    found = samples((reports / "metrics.prom").read_text(encoding="utf-8"))
    assert again.returncode == 0
    assert {s.labels["status"] for s in found["vango_task_duration_seconds"]} == {"uptodate"}


def test_a_gate_run_records_its_verdict(app: Path, vango):
    assert vango(app, "build").returncode == 0
    budgets = (REPO / "budgets.toml").read_text(encoding="utf-8")
    (app / "budgets.toml").write_text(budgets, encoding="utf-8")
    run = vango(app, "build", "gate:size")
    found = samples((app / "build" / "reports" / "metrics.prom").read_text(encoding="utf-8"))
    assert run.returncode == 0 and {s.labels["gate"]: s.value for s in found["vango_gate_passed"]} == {"size": 1}
    (app / "budgets.toml").write_text(budgets.replace('brotli = "800 kB"', 'brotli = "300 kB"'), encoding="utf-8")
    run = vango(app, "build", "gate:size")
    assert run.returncode == 1
    found = samples((app / "build" / "reports" / "metrics.prom").read_text(encoding="utf-8"))
    assert {s.labels["gate"]: s.value for s in found["vango_gate_passed"]} == {"size": 0}
    assert found["vango_gate_exit_code"][0].value == 1 and found["vango_build_exit_code"][0].value == 1


@pytest.fixture
def pushgateway(tmp_path: Path):
    binary = require_binary("/usr/bin/prometheus-pushgateway", "prometheus-pushgateway")
    port = free_port()
    service = Service([binary, f"--web.listen-address=127.0.0.1:{port}"], port, "/-/ready", tmp_path)
    yield service
    service.stop()


def test_a_ci_run_pushes_its_metrics_to_the_pushgateway(app: Path, vango, pushgateway: Service):
    run = vango(app, "build", "--push-gateway", pushgateway.url)
    assert run.returncode == 0, run.stderr
    found = samples(pushgateway.get("/metrics").decode())
    (info,) = found["vango_build_info"]
    assert info.labels["job"] == "vango_build" and info.labels["app"] == "Vango Todo"
    pushed = {s.labels["task"] for s in found["vango_task_duration_seconds"] if s.labels.get("job") == "vango_build"}
    assert pushed == TASKS
    # The environment variable works the same (for doit runs, which take no flags of ours).
    run = vango(app, "build", env={"VANGO_PUSH_GATEWAY": pushgateway.url})
    pushed_again = samples(pushgateway.get("/metrics").decode())["vango_task_duration_seconds"]
    statuses = {s.labels["status"] for s in pushed_again}
    assert run.returncode == 0 and statuses == {"uptodate"}


def test_an_unreachable_pushgateway_is_one_warning_not_a_failure(app: Path, vango):
    run = vango(app, "build", "--push-gateway", f"http://127.0.0.1:{free_port()}")
    assert run.returncode == 0
    warnings = [e for e in run.events if e.get("event") == "metrics.push_failed"]
    assert len(warnings) == 1 and "could not push metrics" in warnings[0]["msg"]
    assert (app / "build" / "reports" / "metrics.prom").is_file()


class DevServer(LoggedProcess):
    def __init__(self, app: Path, cache: Path):
        super().__init__(["pipeline.cli", "dev", "--port", "0"], app, {"VANGO_CACHE_DIR": str(cache)})
        self.url = self.next_event("dev.serving")["url"]
        self.next_event("watch.build", timeout=180)


@pytest.fixture
def prometheus(tmp_path: Path):
    return require_binary("/usr/bin/prometheus", "prometheus")


def query(url: str, expression: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/api/v1/query?query={urllib.parse.quote(expression)}", timeout=10) as resp:
        body = json.loads(resp.read())
    assert body["status"] == "success", body
    return body["data"]["result"]


def test_prometheus_scrapes_the_dev_server(app: Path, shared_cache: Path, tmp_path: Path, prometheus: str):
    server = DevServer(app, shared_cache)
    service = None
    try:
        for path in ("/", "/css/app.css", "/missing.js"):
            try:
                urllib.request.urlopen(server.url.rstrip("/") + path, timeout=10).read()
            except urllib.error.HTTPError as exc:
                assert exc.code == 404
        target = urllib.parse.urlsplit(server.url).netloc
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
            f"  - job_name: vango_dev\n    metrics_path: /__vango/metrics\n    static_configs:\n"
            f"      - targets: ['{target}']\n", encoding="utf-8")
        port = free_port()
        service = Service([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                           f"--web.listen-address=127.0.0.1:{port}"], port, "/-/ready", tmp_path)
        deadline = time.monotonic() + 60
        results: list[dict] = []
        while time.monotonic() < deadline and not results:
            results = query(service.url, 'vango_http_requests_total{route="files",code="404"}')
            time.sleep(0.5)
        assert results and results[0]["metric"]["job"] == "vango_dev" and float(results[0]["value"][1]) >= 1
        assert query(service.url, 'vango_builds_total{result="ok"}')[0]["value"][1] == "1"
        assert query(service.url, "vango_build_duration_seconds_count")[0]["value"][1] == "1"
        tasks = {r["metric"]["task"] for r in query(service.url, "vango_task_duration_seconds_count")}
        assert tasks >= {"wasm:compile", "pages", "release"}
        assert query(service.url, 'up{job="vango_dev"}')[0]["value"][1] == "1"
    finally:
        if service is not None:
            service.stop()
        server.stop()


def test_a_run_that_fails_while_loading_still_updates_the_metrics(app: Path, vango):
    assert vango(app, "build").returncode == 0
    target = app / "build" / "reports" / "metrics.prom"
    (app / "go.mod").write_text((app / "go.mod").read_text() + "\nthis is not go.mod syntax\n")
    run = vango(app, "build")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    found = samples(target.read_text(encoding="utf-8"))
    assert found["vango_build_exit_code"][0].value == 2
    assert found["vango_build_last_run_timestamp_seconds"][0].value > time.time() - 60
    assert "vango_task_duration_seconds" not in found and "vango_artifact_size_bytes" not in found


def test_a_failed_build_reports_no_artifact_sizes(app: Path, vango):
    assert vango(app, "build").returncode == 0
    (app / "main.go").write_text((app / "main.go").read_text() + "\nfunc broken( {\n")
    run = vango(app, "build")
    assert run.returncode == 1
    found = samples((app / "build" / "reports" / "metrics.prom").read_text(encoding="utf-8"))
    failed = {s.labels["task"] for s in found["vango_task_duration_seconds"] if s.labels["status"] == "failed"}
    assert failed == {"wasm:compile"} and "vango_artifact_size_bytes" not in found
