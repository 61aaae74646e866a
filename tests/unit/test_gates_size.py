"""pipeline.gates.size: measuring dist/, judging budgets, the report and its renderings, exit codes."""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
from pathlib import Path

import brotli
import pytest
from rich.console import Console

from pipeline.core.errors import ConfigError
from pipeline.gates.common import EXIT_FAILED, EXIT_OK, EXIT_UNMATCHED, GateError, dumps, validate
from pipeline.gates.size import (
    FileSize,
    evaluate,
    exit_code,
    github_annotations,
    load_report,
    measure_bytes,
    measure_dist,
    parse_budgets,
    render_markdown,
    render_table,
)

SCHEMA = "size-report.schema.json"
CSS = b"body { color: red; }\n" * 200
JS = b"export const x = 1;\n" * 50
WASM = b"\0asm\x01\0\0\0" + bytes(range(256)) * 40


def make_dist(root: Path, files: dict[str, bytes], precompressed: set[str]) -> Path:
    """A dist/ folder with a valid asset-manifest.json; names in ``precompressed`` get .br/.gz siblings."""
    dist = root / "dist"
    assets = {}
    for name, data in files.items():
        digest = hashlib.sha384(data).digest()
        stem, dot, ext = name.rpartition(".")
        served = f"{stem}.{digest.hex()[:16]}.{ext}" if dot else name
        (dist / served).parent.mkdir(parents=True, exist_ok=True)
        (dist / served).write_bytes(data)
        encodings = {}
        if name in precompressed:
            for key, suffix, packed in (("br", ".br", brotli.compress(data)),
                                        ("gzip", ".gz", gzip.compress(data, 9, mtime=0))):
                (dist / (served + suffix)).write_bytes(packed)
                encodings[key] = {"path": served + suffix, "size": len(packed)}
        assets[name] = {"path": served, "size": len(data), "hash": digest.hex(),
                        "integrity": "sha384-" + base64.b64encode(digest).decode(), "hashed": dot == ".",
                        "type": "application/octet-stream", "encodings": encodings}
    manifest = {"version": 1, "app": "Test", "base": "/", "entry": "index.html", "assets": assets}
    (dist / "asset-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return dist


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    return make_dist(tmp_path, {"app.wasm": WASM, "css/app.css": CSS, "css/theme.css": b"a{}", "js/app.js": JS,
                                "robots.txt": b"User-agent: *\n"}, {"app.wasm", "css/app.css"})


def test_measure_uses_precompressed_siblings_and_computes_the_rest(dist: Path) -> None:
    files = {f.name: f for f in measure_dist(dist)}
    assert list(files) == sorted(files)
    wasm = files["app.wasm"]
    assert wasm.raw == len(WASM)
    assert wasm.brotli == len(brotli.compress(WASM))  # the file on disk, whatever produced it
    assert wasm.gzip == len(gzip.compress(WASM, 9, mtime=0))
    assert wasm.sources == {"gzip": "precompressed", "brotli": "precompressed"}
    js = files["js/app.js"]
    assert js.sources == {"gzip": "computed", "brotli": "computed"}
    assert js.gzip == len(gzip.compress(JS, 9, mtime=0))
    assert js.brotli == len(brotli.compress(JS, quality=11, mode=brotli.MODE_TEXT))
    assert js.path.startswith("js/app.") and js.path.endswith(".js")


def test_an_image_or_font_without_siblings_is_served_as_it_is(tmp_path: Path) -> None:
    png, font = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, b"wOF2" + bytes(500)
    files = {f.name: f for f in measure_dist(make_dist(tmp_path, {"img/a.png": png, "fonts/f.woff2": font}, set()))}
    for name, data in (("img/a.png", png), ("fonts/f.woff2", font)):
        assert (files[name].raw, files[name].gzip, files[name].brotli) == (len(data),) * 3
        assert files[name].sources == {"gzip": "identity", "brotli": "identity"}


def test_computed_sizes_are_remembered_by_digest_and_only_for_this_manifest(dist: Path, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.gates.size import measure

    memo = tmp_path / "memo"
    first = {f.name: f for f in measure_dist(dist, memo=memo)}
    kept = json.loads((memo / measure.COMPUTED).read_text())
    computed = {f.name for f in first.values() if "computed" in f.sources.values()}
    assert computed == {"css/theme.css", "js/app.js", "robots.txt"}
    assert len(kept) == len(computed)  # by SHA-384 of the bytes, for the files without siblings
    calls = []
    monkeypatch.setattr(measure, "brotli_bytes", lambda data, q: calls.append(data) or b"")
    again = {f.name: f for f in measure_dist(dist, memo=memo)}
    assert calls == [] and again == first  # not compressed again
    kept[next(iter(kept))] = ["not", "sizes"]  # a damaged entry is computed again
    kept["0" * 96] = [1, 1]  # a file no longer in the manifest is forgotten
    (memo / measure.COMPUTED).write_text(json.dumps(kept))
    measure_dist(dist, memo=memo)
    assert len(calls) == 1 and "0" * 96 not in json.loads((memo / measure.COMPUTED).read_text())


def test_measure_bytes_matches_measure_dist_for_computed_sizes(dist: Path) -> None:
    measured = {f.name: f for f in measure_dist(dist)}["js/app.js"]
    alone = measure_bytes("js/app.js", JS)
    assert (alone.raw, alone.gzip, alone.brotli) == (measured.raw, measured.gzip, measured.brotli)


def test_measure_refuses_a_stale_or_broken_manifest(dist: Path) -> None:
    manifest = json.loads((dist / "asset-manifest.json").read_text(encoding="utf-8"))
    served = manifest["assets"]["js/app.js"]["path"]
    (dist / served).write_bytes(JS + b"// more\n")
    with pytest.raises(GateError, match="stale manifest") as caught:
        measure_dist(dist)
    assert caught.value.exit_code == 2
    (dist / served).unlink()
    with pytest.raises(GateError, match="listed but missing"):
        measure_dist(dist)
    (dist / "asset-manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(GateError, match="invalid JSON"):
        measure_dist(dist)
    (dist / "asset-manifest.json").write_text('{"version": 2}', encoding="utf-8")
    with pytest.raises(GateError, match="not a valid asset manifest"):
        measure_dist(dist)
    (dist / "asset-manifest.json").unlink()
    with pytest.raises(GateError, match="build the app first"):
        measure_dist(dist)


def fs(name: str, raw: int, gzip_size: int | None = None, brotli_size: int | None = None) -> FileSize:
    return FileSize(name, name, raw, gzip_size if gzip_size is not None else raw // 2,
                    brotli_size if brotli_size is not None else raw // 3, {"gzip": "precompressed",
                                                                           "brotli": "precompressed"})


FILES = [fs("app.wasm", 2_100_000, 620_000, 478_000), fs("css/app.css", 4000, 1400, 1100),
         fs("css/theme.css", 800, 400, 300), fs("js/app.js", 650), fs("robots.txt", 23)]

BUDGETS = """\
[[budget]]
name = "wasm"
path = "app.wasm"
brotli = "500 kB"
raw = "2 MB"

[[budget]]
name = "css"
path = "css/*.css"
gzip = "1.5 kB"
per = "total"

[[budget]]
path = "**/*.js"
raw = "1 KiB"

[[budget]]
name = "fonts"
path = "fonts/*.woff2"
raw = "100 kB"
"""


def test_evaluate_judges_every_budget_and_lists_untracked_files() -> None:
    report = evaluate(parse_budgets(BUDGETS), FILES)
    assert validate(report, SCHEMA) == []
    wasm, css, js, fonts = report["budgets"]
    assert wasm["status"] == "fail"
    by_metric = {c["metric"]: c for c in wasm["checks"]}
    assert list(by_metric) == ["raw", "brotli"]
    assert by_metric["raw"] == {
        "metric": "raw", "file": "app.wasm", "limit": 2_000_000, "limit_text": "2 MB", "actual": 2_100_000,
        "headroom": -100_000, "baseline": None, "delta": None, "increase_limit": None, "status": "fail",
        "reasons": ["limit"]}
    assert by_metric["brotli"]["status"] == "pass"
    assert by_metric["brotli"]["headroom"] == 22_000
    assert css["status"] == "fail"  # 1400 + 400 > 1500: a total, not per file
    assert css["matched"] == ["css/app.css", "css/theme.css"]
    assert [(c["file"], c["actual"]) for c in css["checks"]] == [(None, 1800)]
    assert js["status"] == "pass"
    assert js["matched"] == ["js/app.js"]
    assert fonts["status"] == "unmatched"
    assert fonts["checks"] == []
    assert report["untracked"] == ["robots.txt"]
    assert {f["name"]: f["budgets"] for f in report["files"]}["css/app.css"] == ["css"]
    assert report["summary"] == {"passed": 1, "failed": 2, "unmatched": 1, "untracked": 1, "checks": 4,
                                 "failed_checks": 2}
    assert report["baseline"] is None
    assert report["budgets_file"] == "budgets.toml"
    assert report["generated_by"].startswith("vango-pipeline ")


def test_limits_are_inclusive() -> None:
    config = parse_budgets('[[budget]]\npath = "robots.txt"\nraw = "23 B"\n')
    assert evaluate(config, FILES)["budgets"][0]["status"] == "pass"
    config = parse_budgets('[[budget]]\npath = "robots.txt"\nraw = "22 B"\n')
    assert evaluate(config, FILES)["budgets"][0]["status"] == "fail"


def test_per_file_budgets_check_every_matched_file() -> None:
    config = parse_budgets('[[budget]]\npath = "css/*.css"\ngzip = "1 kB"\n')
    budget = evaluate(config, FILES)["budgets"][0]
    assert [(c["file"], c["status"]) for c in budget["checks"]] == [("css/app.css", "fail"), ("css/theme.css", "pass")]
    assert budget["status"] == "fail"


MAX_INCREASE = '[[budget]]\nname = "wasm"\npath = "app.wasm"\nbrotli = "1 MB"\nmax_increase = "5%"\n'


def _baseline_with(brotli_size: int) -> dict:
    baseline = evaluate(parse_budgets(MAX_INCREASE), FILES)
    for f in baseline["files"]:
        if f["name"] == "app.wasm":
            f["brotli"] = brotli_size
    return baseline


@pytest.mark.parametrize(("base", "status", "increase_limit"), [
    (455_000, "fail", 477_750),  # 478000 > 455000 * 1.05
    (455_239, "pass", 478_000),  # floor(455239 * 1.05) = 478000.95 -> 478000: equal is allowed
    (500_000, "pass", 525_000),  # shrinking is fine
])
def test_max_increase_against_the_baseline(base: int, status: str, increase_limit: int) -> None:
    report = evaluate(parse_budgets(MAX_INCREASE), FILES, _baseline_with(base), baseline_label="main@1234")
    check = report["budgets"][0]["checks"][0]
    assert check["baseline"] == base
    assert check["delta"] == 478_000 - base
    assert check["increase_limit"] == increase_limit
    assert check["status"] == status
    assert check["reasons"] == ([] if status == "pass" else ["max_increase"])
    assert report["baseline"] == {"label": "main@1234"}
    assert validate(report, SCHEMA) == []


def test_baseline_totals_follow_the_current_glob_and_new_files_have_no_baseline() -> None:
    config = parse_budgets('[[budget]]\npath = "css/*.css"\ngzip = "10 kB"\nper = "total"\nmax_increase = "10%"\n'
                           '[[budget]]\npath = "js/*.js"\nraw = "10 kB"\n')
    baseline = evaluate(config, [fs("css/app.css", 4000, 1400, 1100)])
    report = evaluate(config, FILES, baseline)
    css_check = report["budgets"][0]["checks"][0]
    assert (css_check["baseline"], css_check["actual"], css_check["delta"]) == (1400, 1800, 400)
    assert css_check["reasons"] == ["max_increase"]  # 1800 > 1400 * 1.1
    js_check = report["budgets"][1]["checks"][0]
    assert js_check["baseline"] is None and js_check["delta"] is None


def test_exit_codes() -> None:
    failed = evaluate(parse_budgets(BUDGETS), FILES)
    assert exit_code(failed) == EXIT_FAILED  # exceeded wins over unmatched
    only_unmatched = parse_budgets('[[budget]]\npath = "fonts/*"\nraw = "1 kB"\n'
                                   '[[budget]]\npath = "js/*"\nraw = "1 kB"\n')
    report = evaluate(only_unmatched, FILES)
    assert exit_code(report) == EXIT_UNMATCHED
    assert exit_code(report, fail_on_unmatched=False) == EXIT_OK
    relaxed = parse_budgets('[settings]\nfail_on_unmatched = false\n[[budget]]\npath = "fonts/*"\nraw = "1 kB"\n')
    assert exit_code(evaluate(relaxed, FILES)) == EXIT_OK
    assert exit_code(evaluate(relaxed, FILES), fail_on_unmatched=True) == EXIT_UNMATCHED
    ok = parse_budgets('[[budget]]\npath = "**"\nraw = "10 MB"\n')
    assert exit_code(evaluate(ok, FILES)) == EXIT_OK


def test_reports_round_trip_through_json_and_load_as_baselines(tmp_path: Path) -> None:
    report = evaluate(parse_budgets(BUDGETS), FILES)
    path = tmp_path / "size-report.json"
    path.write_bytes(dumps(report))
    assert load_report(path) == report
    path.write_text('{"version": 1}', encoding="utf-8")
    with pytest.raises(GateError, match="not a valid size report"):
        load_report(path)
    with pytest.raises(GateError, match="not found"):
        load_report(tmp_path / "missing.json")


def test_end_to_end_on_a_dist_folder(dist: Path) -> None:
    config = parse_budgets('[[budget]]\nname = "wasm"\npath = "app.wasm"\nbrotli = "1 KiB"\n'
                           '[[budget]]\npath = "css/*.css"\nbrotli = "10 kB"\nper = "total"\n')
    report = evaluate(config, measure_dist(dist))
    assert validate(report, SCHEMA) == []
    assert report["budgets"][0]["checks"][0]["actual"] == len(brotli.compress(WASM))
    assert report["untracked"] == ["js/app.js", "robots.txt"]
    assert exit_code(report) == (EXIT_FAILED if len(brotli.compress(WASM)) > 1024 else EXIT_OK)


def _render(report: dict) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(render_table(report))
    return console.export_text()


def test_table_has_the_agreed_columns_and_readable_values() -> None:
    baseline = _baseline_with(455_000)
    config = parse_budgets(MAX_INCREASE + BUDGETS.replace('name = "wasm"', 'name = "wasm2"'))
    text = _render(evaluate(config, FILES, baseline, baseline_label="main@1234"))
    header = next(line for line in text.splitlines() if "budget" in line and "metric" in line)
    for column in ("budget", "metric", "limit", "actual", "headroom", "delta vs baseline", "status"):
        assert column in header
    assert "478 kB" in text
    assert "+23 kB (+5.05%) > max +5%" in text
    assert "FAIL" in text
    assert "no file matches fonts/*.woff2" in text
    assert "Baseline: main@1234." in text
    assert "robots.txt" in text  # untracked listing


def test_binary_limits_show_binary_sizes() -> None:
    report = evaluate(parse_budgets('[[budget]]\npath = "css/app.css"\nraw = "4 KiB"\n'), FILES)
    text = _render(report)
    assert "3.91 KiB" in text  # 4000 bytes, in the unit the author chose


def test_markdown_summary() -> None:
    md = render_markdown(evaluate(parse_budgets(BUDGETS), FILES))
    lines = md.splitlines()
    assert lines[0] == "### Size budgets"
    assert "❌ 2 of 4 budgets exceeded, 1 matched no file" in md
    assert "| budget | metric | limit | actual | headroom | delta vs baseline | status |" in md
    assert "| ---: |" in md.replace(":--- |", "")
    assert "| wasm (app.wasm) | raw | 2 MB | 2.1 MB | -100 kB (-5%) | — | ❌ FAIL |" in md
    assert "<summary>1 file(s) not covered by any budget</summary>" in md
    assert "No baseline report" in md
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_markdown_escapes_pipes_in_names() -> None:
    config = parse_budgets('[[budget]]\nname = "a|b"\npath = "robots.txt"\nraw = "1 B"\n')
    assert "| a\\|b (robots.txt) |" in render_markdown(evaluate(config, FILES))


def test_annotations_point_at_the_budget_line() -> None:
    lines = github_annotations(evaluate(parse_budgets(BUDGETS), FILES))
    assert lines[0] == ('::error file=budgets.toml,line=1,title=Size budget "wasm" exceeded::app.wasm: raw 2.1 MB is '
                        "over the limit of 2 MB by 100 kB")
    assert lines[1].startswith('::error file=budgets.toml,line=7,title=Size budget "css" exceeded::total of css/*.css: '
                               "gzip 1.8 kB is over the limit of 1.5 kB by 300 B")
    assert lines[2] == ('::error file=budgets.toml,line=17,title=Size budget "fonts" matched nothing::path '
                        '"fonts/*.woff2" matches no file in dist/')
    assert len(lines) == 3


def test_annotations_for_growth_escape_percent_signs_and_relaxed_unmatched_is_a_warning() -> None:
    report = evaluate(parse_budgets(MAX_INCREASE), FILES, _baseline_with(455_000))
    (line,) = github_annotations(report)
    assert "grew +5.05%25 over the baseline (455 kB -> 478 kB), more than max_increase = 5%25" in line
    relaxed = parse_budgets('[settings]\nfail_on_unmatched = false\n[[budget]]\npath = "x"\nraw = "1 B"\n')
    assert github_annotations(evaluate(relaxed, FILES))[0].startswith("::warning file=budgets.toml,line=3,")


def test_evaluate_does_not_modify_its_baseline() -> None:
    baseline = _baseline_with(455_000)
    before = copy.deepcopy(baseline)
    evaluate(parse_budgets(MAX_INCREASE), FILES, baseline)
    assert baseline == before


def test_config_errors_carry_exit_code_2() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_budgets("[[budget]]\n")
    assert caught.value.exit_code == 2


def test_the_size_gate_reads_the_config_only_to_explain_the_wasm() -> None:
    from pipeline.gates.bench.gate import GATE as BENCH
    from pipeline.gates.size.gate import GATE as SIZE

    assert SIZE.reads_config({"why": False}) is False and SIZE.reads_config({}) is False
    assert SIZE.reads_config({"why": True}) is True  # --why builds with the app's toolchain
    assert BENCH.reads_config({}) is True  # it runs the app's Go benchmarks
