"""The GitHub Actions workflow parses and runs what the README promises, with the exact gate commands."""

from __future__ import annotations

import yaml
from support import REPO


def steps() -> list[dict]:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())
    assert set(workflow[True if True in workflow else "on"]) >= {"push", "pull_request"}  # YAML 1.1 reads on: as True
    (job,) = workflow["jobs"].values()
    return job["steps"]


def commands() -> str:
    return "\n".join(step.get("run", "") for step in steps())


def test_workflow_runs_tests_release_and_both_gates():
    runs = commands()
    assert "pytest" in runs and "doit release" in runs
    assert 'doit gate:size --baseline "$RUNNER_TEMP/size-base.json"' in runs
    assert 'doit gate:bench --base "${{ github.event.pull_request.base.sha }}"' in runs


def test_workflow_uploads_reports_and_dist_and_fetches_history():
    by_name = {step.get("name"): step for step in steps()}
    assert by_name["Upload dist/"]["with"]["path"] == "dist/"
    assert by_name["Upload reports"]["with"]["path"] == "build/reports/"
    assert by_name["Upload reports"]["if"] == "always()"
    checkout = next(s for s in steps() if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    cache = next(s for s in steps() if s.get("uses", "").startswith("actions/cache"))
    assert {"~/.cache/go-build", "build/doit.sqlite3", "build/cache"} <= set(cache["with"]["path"].split())
