"""pipeline.gates.publish.show_table: a gate's table written to a CI log or a pipe is rich's rendering, and
the next run with the same report and the same surroundings prints the same text from the memo, without
importing rich; anything the rendering depends on renders it again."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from pipeline.gates import publish
from pipeline.gates.render import Column, GateTable, to_rich


class TableGate:
    name = "demo"
    table_from_report = True

    def table(self, report):
        table = GateTable("Demo budgets", [Column("budget"), Column("actual", numeric=True)], summary="1 of 1")
        for name, size in report["rows"]:
            table.add("pass", [name, size])
        return to_rich(table)


class Log(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return False


class Terminal(Log):
    def isatty(self) -> bool:
        return True


def shown(memo: Path, report: dict, monkeypatch, out: io.StringIO | None = None) -> str:
    out = out or Log()
    monkeypatch.setattr(sys, "__stdout__", out)
    publish.show_table(memo, TableGate(), report, repr(report).encode())
    return out.getvalue()


SHOW = """
import io, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from test_gate_table_memo import Log, TableGate
from pipeline.gates import publish
out = Log()
sys.__stdout__ = out
report = json.loads(sys.argv[2])
publish.show_table(Path(sys.argv[1]), TableGate(), report, sys.argv[2].encode())
sys.stdout.write(json.dumps({"shown": out.getvalue(), "rich": "rich" in sys.modules}))
"""


def show_in_a_new_process(memo: Path, report: dict) -> tuple[str, bool]:
    import json
    import subprocess

    proc = subprocess.run([sys.executable, "-c", SHOW, str(memo), json.dumps(report), str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={k: v for k, v in os.environ.items() if k not in publish.RICH_ENVIRONMENT})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    return result["shown"], result["rich"]


def test_the_same_report_prints_the_same_text_without_rich(tmp_path: Path):
    memo, report = tmp_path / ".demo.table", {"rows": [["wasm", "477 kB"], ["loader", "1.3 kB"]]}
    first, imported = show_in_a_new_process(memo, report)
    assert "Demo budgets" in first and "477 kB" in first and memo.is_file() and imported
    assert show_in_a_new_process(memo, report) == (first, False)
    other, imported = show_in_a_new_process(memo, {"rows": [["wasm", "478 kB"]]})
    assert "478 kB" in other and imported  # another report: rendered again


def test_what_rich_reads_renders_again(tmp_path: Path, monkeypatch):
    memo, report = tmp_path / ".demo.table", {"rows": [["wasm " * 40, "477 kB"]]}  # wider than 100 columns
    monkeypatch.setenv("COLUMNS", "100")
    narrow = shown(memo, report, monkeypatch)
    monkeypatch.setenv("COLUMNS", "160")
    wide = shown(memo, report, monkeypatch)
    assert wide != narrow and max(map(len, wide.splitlines())) > max(map(len, narrow.splitlines()))
    monkeypatch.setenv("FORCE_COLOR", "1")  # colours into a log: rich's escapes, not the plain text
    coloured = shown(memo, report, monkeypatch)
    assert "\x1b[" in coloured and "\x1b[" not in wide


def test_a_terminal_is_always_rendered_and_nothing_is_kept(tmp_path: Path, monkeypatch):
    memo = tmp_path / ".demo.table"
    assert "477 kB" in shown(memo, {"rows": [["wasm", "477 kB"]]}, monkeypatch, out=Terminal())
    assert not memo.exists()


def test_a_memo_edited_by_hand_is_not_shown(tmp_path: Path, monkeypatch):
    memo, report = tmp_path / ".demo.table", {"rows": [["wasm", "477 kB"]]}
    first = shown(memo, report, monkeypatch)
    memo.write_bytes(b"not the key\nforged table\n")
    assert shown(memo, report, monkeypatch) == first


def test_the_table_models_need_no_rich_until_rendered():
    import subprocess

    code = ("import sys; import pipeline.gates.size.report, pipeline.gates.bench.report, pipeline.gates.publish; "
            "assert 'rich' not in sys.modules, 'rich was imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def forged(memo: Path) -> None:
    """Keep the memo's key, change its text: a run that prints the forgery took it from the memo."""
    key, _, _ = memo.read_bytes().partition(b"\n")
    memo.write_bytes(key + b"\nFROM THE MEMO\n")


def test_an_edit_of_the_gate_s_code_renders_again(tmp_path: Path, monkeypatch):
    package = tmp_path / "demo_gate"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    module = package / "gate.py"
    module.write_text("from test_gate_table_memo import TableGate\n\n\nclass Gate(TableGate):\n    pass\n",
                      encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    from demo_gate.gate import Gate

    memo, report = tmp_path / ".demo.table", {"rows": [["wasm", "477 kB"]]}

    def show() -> str:
        out = Log()
        monkeypatch.setattr(sys, "__stdout__", out)
        publish.show_table(memo, Gate(), report, repr(report).encode())
        return out.getvalue()

    first = show()
    forged(memo)
    assert show() == "FROM THE MEMO\n"
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert show() == first


def test_a_gate_that_does_not_say_its_table_is_the_report_s_is_always_rendered(tmp_path: Path, monkeypatch):
    class Stateful(TableGate):
        table_from_report = False

    memo, report = tmp_path / ".demo.table", {"rows": [["wasm", "477 kB"]]}
    out = Log()
    monkeypatch.setattr(sys, "__stdout__", out)
    publish.show_table(memo, Stateful(), report, b"{}")
    assert "477 kB" in out.getvalue() and not memo.exists()


def test_code_that_is_not_plain_files_and_a_memo_that_cannot_be_kept_still_print(tmp_path: Path, monkeypatch):
    report = {"rows": [["wasm", "477 kB"]]}
    zipped = type("Zipped", (TableGate,), {"__module__": "zipped_gate"})
    module = type(sys)("zipped_gate")
    module.__file__ = str(tmp_path / "addon.pyz" / "zipped_gate.py")
    monkeypatch.setitem(sys.modules, "zipped_gate", module)
    for gate, memo in ((zipped(), tmp_path / ".zip.table"), (TableGate(), tmp_path / "no-such-folder" / "x" / ".t")):
        out = Log()
        monkeypatch.setattr(sys, "__stdout__", out)
        publish.show_table(memo, gate, report, b"{}")
        assert "477 kB" in out.getvalue()
    (tmp_path / "blocked").write_text("a file where the memo's folder goes", encoding="utf-8")
    out = Log()
    monkeypatch.setattr(sys, "__stdout__", out)
    publish.show_table(tmp_path / "blocked" / ".t", TableGate(), report, b"{}")
    assert "477 kB" in out.getvalue()


def test_a_memo_with_a_broken_body_is_rendered_again(tmp_path: Path, monkeypatch):
    memo, report = tmp_path / ".demo.table", {"rows": [["wasm", "477 kB"]]}
    first = shown(memo, report, monkeypatch)
    key, _, _ = memo.read_bytes().partition(b"\n")
    memo.write_bytes(key + b"\n\xff\xfe not utf-8")
    assert shown(memo, report, monkeypatch) == first
