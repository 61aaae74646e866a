"""``vango docs`` against MkDocs 1.6 on the same generated corpus (1,000 pages with headings, code blocks in
five languages, tables and cross-links; see ``docs_corpus.py``), side by side in one run.

Goals (issue "vango docs"): a full build at least 3x as fast as MkDocs with a comparable configuration
(its built-in theme, tables, codehilite, footnotes, admonitions, permalinks, its search index), and a
one-page edit rebuild at most 5 % of a full build. The edit is measured as ``vango docs serve`` rebuilds: in
its process, warm (the edit loop); the same edit through a cold ``vango docs build`` is reported too.
Timings are medians of alternated runs, so the machine's noise hits both sides alike.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docs_corpus import generate, write_mkdocs_config

FULL_RATIO_GOAL = 3.0
EDIT_SHARE_GOAL = 0.05


def pages(benchmark) -> int:
    return 60 if benchmark.disabled else 1000  # --benchmark-disable (the test suite): a smoke run


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    made: dict[int, Path] = {}

    def make(count: int) -> Path:
        if count not in made:
            root = tmp_path_factory.mktemp(f"docs-corpus-{count}")
            generate(root, count)
            write_mkdocs_config(root)
            made[count] = root
        return made[count]

    return make  # type: ignore[return-value]


def run(argv: list[str], cwd: Path) -> float:
    env = {**os.environ, "VANGO_LOG_FORMAT": "json"}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", *argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    return elapsed


def vango_full(root: Path) -> float:
    shutil.rmtree(root / "site", ignore_errors=True)
    shutil.rmtree(root / "build", ignore_errors=True)
    return run(["pipeline.cli", "docs", "build", "docs"], root)


def mkdocs_full(root: Path) -> float:
    shutil.rmtree(root / "mkdocs-site", ignore_errors=True)
    return run(["mkdocs", "build", "-q", "-f", "mkdocs.yml", "-d", "mkdocs-site"], root)


def test_full_build_against_mkdocs(benchmark, corpora):
    root = corpora(pages(benchmark))
    rounds = 1 if benchmark.disabled else 3
    ours, theirs = [], []
    for _ in range(rounds):
        theirs.append(mkdocs_full(root))
        ours.append(vango_full(root))
    ratio = statistics.median(theirs) / statistics.median(ours)
    benchmark.extra_info.update({"pages": pages(benchmark), "vango_s": round(statistics.median(ours), 2),
                                 "mkdocs_s": round(statistics.median(theirs), 2), "speedup": round(ratio, 2)})
    benchmark.pedantic(vango_full, args=(root,), rounds=1, iterations=1)
    assert (root / "site" / "pagefind").is_dir() and (root / "mkdocs-site" / "search").is_dir()
    if not benchmark.disabled:
        assert ratio >= FULL_RATIO_GOAL, f"vango docs is {ratio:.2f}x as fast as MkDocs (goal {FULL_RATIO_GOAL}x)"


def edit(root: Path, number: int) -> Path:
    page = root / "docs" / "section-03" / "topic-04" / "page-0043.md"
    if not page.exists():
        page = sorted((root / "docs").rglob("page-*.md"))[len(list((root / "docs").rglob("page-*.md"))) // 2]
    with page.open("a", encoding="utf-8") as handle:
        handle.write(f"\nEdit number {number}: a sentence about the pipeline's search index.\n")
    return page


def test_one_page_edit_rebuild(benchmark, corpora, monkeypatch: pytest.MonkeyPatch):
    from pipeline.docs.paths import DocsPaths
    from pipeline.docs.serve import DocsSession
    from pipeline.observe import log

    root = corpora(pages(benchmark))
    rounds = 1 if benchmark.disabled else 3
    fulls = [vango_full(root) for _ in range(rounds)]
    monkeypatch.chdir(root)
    log.setup("json", "WARNING")
    session = DocsSession(DocsPaths.default(Path("docs")))
    assert session.build().ok  # the serve loop's first build (up to date: the site was just built)
    warm = []
    for number in range(1 if benchmark.disabled else 7):
        page = edit(root, number)
        result = session.build({page})
        assert result.ok and any(t["status"] == "executed" for t in result.tasks), result
        warm.append(result.duration_s)
    cold = []
    for number in range(rounds):
        edit(root, 100 + number)
        cold.append(run(["pipeline.cli", "docs", "build", "docs"], root))
    full = statistics.median(fulls)
    share = statistics.median(warm) / full
    benchmark.extra_info.update({"pages": pages(benchmark), "full_s": round(full, 2),
                                 "edit_warm_s": round(statistics.median(warm), 3), "edit_share": round(share, 4),
                                 "edit_cli_s": round(statistics.median(cold), 3),
                                 "edit_cli_share": round(statistics.median(cold) / full, 4)})
    benchmark.pedantic(lambda: session.build({edit(root, 999)}), rounds=1, iterations=1)
    if not benchmark.disabled:
        assert share <= EDIT_SHARE_GOAL, f"a one-page edit costs {share:.1%} of a full build (goal 5 %)"
