"""One table model, two renderings: rich (terminal) and GitHub-flavoured markdown ($GITHUB_STEP_SUMMARY).

Each gate turns its report into a :class:`GateTable`; this module owns every formatting decision (status
marks, colours, alignment, escaping) so both gates look and behave the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType

# status -> (markdown mark, terminal label, rich style)
STATUS_STYLES: dict[str, tuple[str, str, str]] = {
    "pass": ("✅", "pass", "green"),
    "fail": ("❌", "FAIL", "bold red"),
    "unmatched": ("⚠️", "unmatched", "yellow"),
    "regression": ("❌", "REGRESSION", "bold red"),
    "improvement": ("🚀", "improvement", "green"),
    "unchanged": ("✅", "unchanged", "green"),
    "insufficient": ("⚠️", "too few samples", "yellow"),
    "below_floor": ("💤", "below floor", "dim"),
    "new": ("🆕", "new", "cyan"),
    "missing": ("⚠️", "missing", "yellow"),
    "info": ("", "", ""),
}


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = False  # right-aligned


@dataclass
class GateTable:
    """A gate's result as rows of already formatted cells, plus the sentences around them."""

    title: str
    columns: list[Column]
    rows: list[tuple[str, list[str]]] = field(default_factory=list)  # (status, cells)
    summary: str = ""  # one line above the table
    failed: bool = False  # colours the summary
    warnings: list[str] = field(default_factory=list)  # shown above the table
    notes: list[str] = field(default_factory=list)  # shown below the table
    details: list[tuple[str, list[str]]] = field(default_factory=list)  # collapsible (heading, lines) in markdown
    show_status: bool = True  # a last "status" column (off for purely informational tables)

    def add(self, status: str, cells: list[str]) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append((status, cells))


def status_label(status: str) -> str:
    return STATUS_STYLES.get(status, ("", status, ""))[1]


def to_rich(table: GateTable) -> RenderableType:
    """The table for a terminal: coloured status column, right-aligned numbers, warnings and notes around it.
    rich is imported here, not with the module: a gate whose table was rendered before prints it from the
    memo (:func:`pipeline.gates.publish.show_table`)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=table.title, title_justify="left", show_lines=False, expand=False)
    for column in table.columns:
        grid.add_column(column.header, justify="right" if column.numeric else "left", overflow="fold")
    if table.show_status:
        grid.add_column("status")
    for status, cells in table.rows:
        _, label, style = STATUS_STYLES.get(status, ("", status, ""))
        grid.add_row(*cells, *([Text(label, style=style)] if table.show_status else []))
    parts: list[RenderableType] = []
    if table.summary:
        style = ("bold red" if table.failed else "bold green") if table.show_status else "bold"
        parts.append(Text(table.summary, style=style))
    parts.extend(Text(f"warning: {w}", style="yellow") for w in table.warnings)
    if table.rows:
        parts.append(grid)
    parts.extend(Text(n, style="dim") for n in table.notes)
    for heading, lines in table.details:
        parts.append(Text(heading, style="bold"))
        parts.extend(Text(f"  {line}") for line in lines)
    return Group(*parts)


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def to_markdown(table: GateTable) -> str:
    """GitHub-flavoured markdown for ``$GITHUB_STEP_SUMMARY`` or a PR comment."""
    out = [f"### {table.title}", ""]
    if table.summary:
        mark = ("❌ " if table.failed else "✅ ") if table.show_status else ""
        out += [f"{mark}{table.summary}", ""]
    for warning in table.warnings:
        out += [f"> ⚠️ {_cell(warning)}", ""]
    if table.rows:
        status_column = ["status"] if table.show_status else []
        headers = [c.header for c in table.columns] + status_column
        aligns = ["---:" if c.numeric else ":---" for c in table.columns] + [":---"] * len(status_column)
        out.append("| " + " | ".join(_cell(h) for h in headers) + " |")
        out.append("| " + " | ".join(aligns) + " |")
        for status, cells in table.rows:
            mark, label, _ = STATUS_STYLES.get(status, ("", status, ""))
            status_cell = f"{mark} {label}".strip()
            shown = [*cells, status_cell] if table.show_status else cells
            out.append("| " + " | ".join(_cell(c) for c in shown) + " |")
        out.append("")
    for note in table.notes:
        out += [_cell(note), ""]
    for heading, lines in table.details:
        out += ["<details>", f"<summary>{_html(heading)}</summary>", ""]
        out += [f"- {_cell(line)}" for line in lines]
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

