"""Deploy support: header rules for every file, an nginx snippet, and older releases' hashed files kept."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.assets.serverconf import IMMUTABLE, REVALIDATE

pytestmark = pytest.mark.e2e


def rules(text: str) -> dict[str, dict[str, str]]:
    parsed: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            current = parsed.setdefault(line.strip(), {})
        else:
            name, _, value = line.strip().partition(": ")
            current[name] = value
    return parsed


def test_headers_file_covers_every_served_file(built_example: Path):
    manifest = json.loads((built_example / "asset-manifest.json").read_text())
    parsed = rules((built_example / "_headers").read_text())
    assert parsed["/*"]["X-Content-Type-Options"] == "nosniff"
    assert "'wasm-unsafe-eval'" in parsed["/*"]["Content-Security-Policy"]
    for logical, asset in manifest["assets"].items():
        if logical in {"_headers", "nginx.conf"}:
            continue
        expected = IMMUTABLE if asset["hashed"] else REVALIDATE
        assert parsed["/" + asset["path"]]["Cache-Control"] == expected, logical
    assert parsed["/"]["Cache-Control"] == REVALIDATE  # the shell at its folder URL
    wasm = manifest["assets"]["app.wasm"]["path"]
    assert parsed["/" + wasm]["Content-Type"] == "application/wasm"


def test_nginx_snippet_serves_wasm_precompressed_and_caches_by_hash(built_example: Path):
    conf = (built_example / "nginx.conf").read_text()
    assert "gzip_static on;" in conf and "gzip_vary on;" in conf
    assert "default_type application/wasm;" in conf
    assert conf.count("{") == conf.count("}")
    hashed_location = re.search(r'location ~\* "(\\\.\[0-9a-f\]\{16\}\\\.)\[A-Za-z0-9\]\+\$"', conf)
    assert hashed_location, conf
    pattern = re.compile(hashed_location.group(1).replace("\\\\", "\\") + "[A-Za-z0-9]+$")
    manifest = json.loads((built_example / "asset-manifest.json").read_text())
    for asset in manifest["assets"].values():  # the regex tells hashed from unhashed files exactly
        assert bool(pattern.search(asset["path"])) == asset["hashed"], asset["path"]
    assert "try_files $uri $uri/ /index.html;" in conf


def test_previous_releases_hashed_files_stay_for_two_releases(app: Path, vango):
    theme = app / "web" / "css" / "theme.css"
    paths = []
    for release in range(4):
        theme.write_text(f":root {{ --release: {release}; }}\n")
        run = vango(app)
        assert run.returncode == 0, run.stderr
        manifest = json.loads((app / "dist" / "asset-manifest.json").read_text())
        paths.append(manifest["assets"]["css/theme.css"]["path"])
        retained = manifest.get("retained", {})
        for age, old in enumerate(reversed(paths[:-1]), start=1):
            if age <= 2:
                assert retained[old] == {"releases_ago": age}
                assert (app / "dist" / old).is_file()
            else:
                assert old not in retained and not (app / "dist" / old).exists()
    assert len(set(paths)) == 4
