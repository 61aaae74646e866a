"""The size gate's class: ``budgets.toml`` against ``dist/`` (raw/gzip/brotli, per file or total).

Apart from :mod:`pipeline.gates.size.gate`, which registers it as an addon: a ``gate:size`` run from the
remembered task list (:mod:`pipeline.engine.plan`) imports this module alone, not the addon seam (pluggy).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.gates.common import GateError
from pipeline.gates.protocol import Gate, Report, param
from pipeline.gates.publish import relative

if TYPE_CHECKING:
    from pipeline.config.context import Context

BUDGETS_NAME = "budgets.toml"


def find_budgets(ctx: Context, given: str) -> Path:
    if given:
        return Path(given)
    for folder in (ctx.app_dir, Path.cwd()):
        if (folder / BUDGETS_NAME).is_file():
            return folder / BUDGETS_NAME
    raise GateError(f"no {BUDGETS_NAME} in {ctx.app_dir} or the current folder; pass --budgets FILE")


class SizeGate(Gate):
    name = "size"
    table_from_report = True
    doc = "Check dist/ against budgets.toml (raw/gzip/brotli, per file or total); --baseline REPORT, --why"

    def params(self) -> list[dict[str, Any]]:
        return [
            param("budgets", "", "budgets file (default: budgets.toml in the app folder or here)"),
            param("baseline", "", "a previous build/reports/size.json to compare with (deltas, max_increase)"),
            param("why", False, "list the largest Go packages and functions in the wasm", bool),
            param("allow_unmatched", False, "a budget matching no file is not a failure", bool),
        ]

    def evaluate(self, ctx: Context, options: Mapping[str, Any]) -> Report:
        from pipeline.gates import size  # loaded only when a gate runs, not on every doit invocation

        config = size.load_budgets(relative(find_budgets(ctx, options.get("budgets", ""))))
        baseline = options.get("baseline", "")
        return size.evaluate(config, size.measure_dist(ctx.dist_dir, memo=ctx.cache_dir / "manifest"),
                             size.load_report(Path(baseline)) if baseline else None, baseline_label=baseline or None)

    def table(self, report: Report) -> Any:
        from pipeline.gates import size

        return size.render_table(report)

    def markdown(self, report: Report) -> str:
        from pipeline.gates import size

        return size.render_markdown(report)

    def annotations(self, report: Report) -> list[str]:
        from pipeline.gates import size

        return size.github_annotations(report)

    def exit_code(self, report: Report, options: Mapping[str, Any]) -> int:
        from pipeline.gates import size

        return size.exit_code(report, fail_on_unmatched=False if options.get("allow_unmatched") else None)

    def summary(self, report: Report, code: int, path: Path) -> str:
        s = report["summary"]
        return f"{s['failed']} budget(s) exceeded, {s['unmatched']} matched nothing (report: {path})"

    def after_report(self, ctx: Context, report: Report, options: Mapping[str, Any]) -> None:
        if options.get("why"):
            explain_wasm(ctx)

    def reads_config(self, options: Mapping[str, Any]) -> bool:
        return bool(options.get("why"))  # the budgets file, dist/ and its manifest; --why builds with the toolchain


def explain_wasm(ctx: Context) -> None:
    """What the wasm is made of: an unstripped build (name section kept) grouped by Go package."""
    from rich.console import Console

    from pipeline.gates import size
    from pipeline.gates.render import to_rich
    from pipeline.steps.wasm import go_build

    target = ctx.wasm_dir / "app.names.wasm"
    ctx.logger.info("building %s with its name section for --why", relative(target))
    data = go_build(ctx, target, strip=False).read_bytes()
    console = Console(file=sys.__stdout__, width=max(100, Console().width))
    for by in ("package", "function"):
        shares = size.largest(data, by=by, top=15, path=target)
        console.print(to_rich(size.largest_table(shares, by=by, total=size.code_size(data))))
