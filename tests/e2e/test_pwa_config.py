"""Bad PWA input fails clearly, without a traceback, and leaves dist/ as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from support import snapshot, tags

pytestmark = pytest.mark.e2e


def configure(app: Path, **pwa) -> None:
    path = app / "vango.json"
    data = json.loads(path.read_text())
    data["pwa"] = {**data["pwa"], **pwa}
    path.write_text(json.dumps(data))


def failure(run) -> str:
    assert "Traceback" not in run.stderr
    return next(e.get("error") or e["msg"] for e in run.events if e["level"] == "error")


@pytest.fixture
def released(app: Path, vango) -> dict:
    assert vango(app).returncode == 0
    return snapshot(app / "dist")


def test_wasm_over_the_precache_limit_is_a_build_error_not_an_omission(app: Path, vango, released: dict):
    configure(app, service_worker={"max_file_size": 1_000_000})
    run = vango(app)
    assert run.returncode == 1
    message = failure(run)
    assert message.startswith("app.wasm: ") and "precache limit" in message
    assert snapshot(app / "dist") == released


def test_a_small_icon_source_is_refused(app: Path, vango, released: dict):
    Image.new("RGB", (256, 256), "red").save(app / "web" / "img" / "small.png")
    configure(app, icon="web/img/small.png")
    run = vango(app)
    assert run.returncode == 2  # a configuration problem: the configured icon does not fit
    message = failure(run)
    assert "small.png" in message and "512" in message
    assert snapshot(app / "dist") == released


@pytest.mark.parametrize(("pwa", "expected"), [
    ({"icon": None}, "$.pwa.icon"),
    ({"start_url": "https://elsewhere.example/"}, "$.pwa.start_url"),
    ({"display": "window"}, "$.pwa"),
    ({"background_color": "not-a-colour"}, "$.pwa.background_color"),
    ({"icon": "web/img/missing.png"}, "$.pwa.icon: 'web/img/missing.png' does not exist"),
])
def test_bad_pwa_config_is_exit_2(app: Path, vango, released: dict, pwa: dict, expected: str):
    path = app / "vango.json"
    data = json.loads(path.read_text())
    data["pwa"] = {k: v for k, v in {**data["pwa"], **pwa}.items() if v is not None}
    path.write_text(json.dumps(data))
    run = vango(app)
    assert run.returncode == 2
    assert expected in failure(run)
    assert snapshot(app / "dist") == released


def test_pwa_flag_turns_it_on_with_the_default_icon(app: Path, vango):
    path = app / "vango.json"
    data = json.loads(path.read_text())
    data["pwa"] = False
    path.write_text(json.dumps(data))
    assert vango(app).returncode == 0
    assert not (app / "dist" / "sw.js").exists()
    without_icon = vango(app, "build", "--pwa")
    assert without_icon.returncode == 2 and "add web/icon.png" in failure(without_icon)

    (app / "web" / "icon.png").write_bytes((app / "web" / "img" / "icon.png").read_bytes())
    run = vango(app, "build", "--pwa")
    assert run.returncode == 0, run.stderr
    assert (app / "dist" / "sw.js").is_file()
    assert "manifest" in [link.get("rel") for link in tags((app / "dist" / "index.html").read_bytes(), "link")]
