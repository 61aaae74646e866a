"""Errors caused by the user's input, reported as one line and never as a traceback."""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """A problem in the app's own files (config, HTML, CSS, JS, Go): tells where and what, in one line.

    ``exit_code`` follows doit's convention for task failures (1); configuration errors use 2.
    """

    exit_code = 1

    def __init__(self, message: str, *, path: str | Path | None = None, location: str | int | None = None,
                 more: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.location = location
        self.more = tuple(more)  # further problems found at the same time, each reported on its own line

    def _where(self, location: str | int | None) -> str:
        if not self.path:
            return ""
        where = f"{display_path(self.path)}"
        if location not in (None, ""):
            where += f":{location}"
        return where + ": "

    def __str__(self) -> str:
        return f"{self._where(self.location)}{self.message}"

    def lines(self) -> list[str]:
        """Every problem, one line each: this one first, then ``more`` (same file)."""
        return [str(self), *(f"{self._where(None)}{m}" for m in self.more)]


class ConfigError(PipelineError):
    """Invalid ``vango.json`` or ``budgets.toml``, or a path that escapes the project."""

    exit_code = 2


# When several tasks fail with different codes, the run exits with the first of these that occurred:
# "could not judge" (2) before "failed" (1) before "no baseline" (4) and "nothing matched" (3).
EXIT_PRECEDENCE = (2, 1, 4, 3)


def combine_exit_codes(codes: list[int]) -> int:
    """One process exit code for the failures of a run (0 when there were none)."""
    failing = [c for c in codes if c]
    if not failing:
        return 0
    ranked = [c for c in EXIT_PRECEDENCE if c in failing]
    return ranked[0] if ranked else max(failing)


def display_path(path: str | Path) -> str:
    """Show paths relative to the working directory when that is shorter, so messages stay readable."""
    p = Path(path)
    if p.is_absolute():
        try:
            return str(p.relative_to(Path.cwd()))
        except ValueError:
            return str(p)
    return str(p)
