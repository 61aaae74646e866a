"""A no-op build imports only what it needs: not jsonschema (vango.json's validation is remembered per exact
document and schema), not Jinja2 (nothing to render), not the gates' reports, not the parsers, Pillow or the
minifiers (the steps load them lazily), not prometheus-client (metrics.prom is formatted without it).
A changed vango.json is validated again, and a bad one still fails with its one-line error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import run_pipeline

PROBE = """
import sys
from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain
from pipeline.config.context import Settings
from pipeline.engine.loader import namespace
code = DoitMain(ModuleTaskLoader(namespace(Settings.from_environment()))).run(["run", "release"])
heavy = sorted(m for m in ("jsonschema", "jinja2", "pipeline.gates.bench.report", "pipeline.gates.size.report",
                           "lxml", "PIL", "tinycss2", "tree_sitter", "minify", "minify_html", "prometheus_client")
               if m in sys.modules)
print(code, ",".join(heavy))
"""


def probe(app: Path, env: dict[str, str]) -> tuple[str, str]:
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=app, capture_output=True, text=True, timeout=300,
                          env={**env, "VANGO_LOG_FORMAT": "json"})
    code, _, heavy = proc.stdout.strip().rpartition("\n")[-1].partition(" ")
    return code, heavy


def test_a_noop_build_skips_the_heavy_imports_and_a_changed_config_is_validated_again(app: Path, shared_cache: Path):
    env = {**os.environ, "VANGO_CACHE_DIR": str(shared_cache)}
    assert run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(shared_cache)}).returncode == 0
    assert probe(app, env) == ("0", "")
    config = json.loads((app / "vango.json").read_text())
    (app / "vango.json").write_text(json.dumps({**config, "compress": {"gzip_level": 42}}))
    run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 2 and "$.compress.gzip_level" in run.stderr and "Traceback" not in run.stderr
