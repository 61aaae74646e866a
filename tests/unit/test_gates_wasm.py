"""pipeline.gates.size.wasm: the WebAssembly reader behind ``--why``, on hand-assembled modules and a real Go build."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import EXAMPLE, IGNORED

from pipeline.gates.common import GateError
from pipeline.gates.render import to_markdown
from pipeline.gates.size.wasm import (
    GENERATED,
    NO_PACKAGE,
    PackageIndex,
    _Reader,
    code_size,
    largest,
    largest_table,
    package_of,
    parse_module,
    path_to_prefix,
    wasm_symbol,
)


def uleb(n: int, pad_to: int = 0) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n or len(out) + 1 < pad_to:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return uleb(len(raw)) + raw


def vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def section(section_id: int, content: bytes) -> bytes:
    return bytes([section_id]) + uleb(len(content)) + content


def body(size: int) -> bytes:
    """A function body of exactly ``size`` bytes: no locals, nops, end."""
    assert size >= 2
    return b"\x00" + b"\x01" * (size - 2) + b"\x0b"


def assemble(functions: list[tuple[str | None, int]], *, with_names: bool = True, extra_imports: bool = True) -> bytes:
    """A valid module: one imported function (index 0), then the given (name, body size) functions."""
    imports = [name("gojs") + name("runtime.wasmExit") + b"\x00" + uleb(0)]
    if extra_imports:  # memory, global, table imports do not take function indices
        imports += [name("env") + name("mem") + b"\x02\x01" + uleb(1) + uleb(2),
                    name("env") + name("g") + b"\x03\x7f\x00",
                    name("env") + name("t") + b"\x01\x70\x00" + uleb(1)]
    module = b"\0asm\x01\0\0\0"
    module += section(1, vec([b"\x60\x00\x00"]))
    module += section(0, name("producers") + b"\x00")  # an unrelated custom section first
    module += section(2, vec(imports))
    module += section(3, vec([uleb(0)] * len(functions)))
    module += section(10, vec([uleb(size) + body(size) for _, size in functions]))
    if with_names:
        names = [(0, "runtime.wasmExit")] + [(i + 1, n) for i, (n, _) in enumerate(functions) if n is not None]
        module_name = name("app")
        function_names = vec([uleb(i) + name(n) for i, n in names])
        content = name("name") + b"\x00" + uleb(len(module_name)) + module_name
        content += b"\x01" + uleb(len(function_names)) + function_names
        module += section(0, content)
    return module


FUNCTIONS = [
    ("main.main", 100),
    ("runtime.mallocgc", 300),
    ("runtime.gcStart", 200),
    ("syscall_js.Value.Get", 50),
    ("fmt.__pp_.doPrintf", 150),
    ("example.com_x_internal_todo.__List_.Add", 80),
    ("type_.eq.M8S", 10),
    ("memeqbody", 20),
    (None, 90),
]
TOTAL = sum(size for _, size in FUNCTIONS)


def test_parse_module_reads_imports_code_and_names() -> None:
    module = parse_module(assemble(FUNCTIONS))
    assert module.imported_functions == 1
    assert module.body_sizes == tuple(size for _, size in FUNCTIONS)
    assert module.has_name_section
    assert module.function_names[0] == "runtime.wasmExit"
    assert module.function_names[1] == "main.main"
    assert [s.id for s in module.sections] == [1, 0, 2, 3, 10, 0]
    assert [s.name for s in module.sections if s.id == 0] == ["producers", "name"]
    functions = module.functions()
    assert functions[0] == (1, "main.main", 100)
    assert functions[-1] == (9, None, 90)


def test_largest_by_package() -> None:
    shares = largest(assemble(FUNCTIONS), by="package", top=None)
    assert [(s.name, s.size, s.functions) for s in shares] == [
        ("runtime", 500, 2),
        ("fmt", 150, 1),
        (NO_PACKAGE, 110, 2),  # memeqbody and the unnamed function
        ("main", 100, 1),
        ("example.com/x/internal/todo", 80, 1),
        ("syscall/js", 50, 1),
        (GENERATED, 10, 1),
    ]
    by_name = {s.name: s for s in shares}
    assert by_name["runtime"].percent == pytest.approx(100 * 500 / TOTAL)
    assert sum(s.size for s in shares) == TOTAL == code_size(assemble(FUNCTIONS))
    assert sum(s.percent for s in shares) == pytest.approx(100)
    assert [s.size for s in shares] == sorted((s.size for s in shares), reverse=True)


def test_largest_by_function_and_top() -> None:
    shares = largest(assemble(FUNCTIONS), by="function", top=3)
    assert [(s.name, s.size) for s in shares] == [("runtime.mallocgc", 300), ("runtime.gcStart", 200),
                                                  ("fmt.(*pp).doPrintf", 150)]  # as Go writes it
    assert shares[0].percent == pytest.approx(100 * 300 / TOTAL)
    unnamed = largest(assemble(FUNCTIONS), by="function", top=None)
    assert "(unnamed function 9)" in {s.name for s in unnamed}


def test_multi_byte_leb128_sizes_and_padded_leb128() -> None:
    big = [("runtime.big", 70_000), ("main.main", 200)]
    assert parse_module(assemble(big)).body_sizes == (70_000, 200)
    reader = _Reader(uleb(5, pad_to=5), 0, 5, None)  # 5 bytes is the most a u32 may take
    assert reader.uleb() == 5
    with pytest.raises(GateError, match="longer than u32"):
        _Reader(uleb(5, pad_to=6), 0, 6, None).uleb()
    with pytest.raises(GateError, match="too large for u32"):
        _Reader(uleb(2**32), 0, 5, None).uleb()


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_uleb_round_trips(n: int) -> None:
    data = uleb(n)
    reader = _Reader(data, 0, len(data), None)
    assert reader.uleb() == n
    assert reader.pos == len(data)


@given(st.integers(min_value=-(2**32), max_value=2**32 - 1))
def test_sleb_round_trips(n: int) -> None:
    out = bytearray()
    value = n
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            break
        out.append(byte | 0x80)
    assert _Reader(bytes(out), 0, len(out), None).sleb() == n


def test_no_name_section_asks_for_an_unstripped_build() -> None:
    module = assemble(FUNCTIONS, with_names=False)
    assert parse_module(module).has_name_section is False
    with pytest.raises(GateError, match="build without -s") as caught:
        largest(module, path="app.wasm")
    assert str(caught.value).startswith("app.wasm: ")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(("data", "message"), [
    (b"\x7fELF\x02\x01\x01\x00", "not a WebAssembly binary"),
    (b"\0asm\x02\0\0\0", "unsupported WebAssembly version"),
    (b"\0asm\x01\0\0\0" + section(14, b""), "unknown section id 14"),
    (b"\0asm\x01\0\0\0\x0a\x10\x01", "announced"),
    (b"\0asm\x01\0\0\0" + section(10, vec([uleb(50) + b"\x00\x0b"])), "announced"),
    (b"\0asm\x01\0\0\0" + section(2, vec([name("m") + name("f") + b"\x07"])), "unknown import kind"),
    (b"\0asm\x01\0\0\0" + section(0, b"\x04na"), "announced"),
    (b"\0asm\x01\0\0\0" + section(0, name("name") + b"\x01\x03\x01\x00\x05"), "announced"),
])
def test_malformed_modules_are_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(GateError, match=message):
        parse_module(data)


@pytest.mark.parametrize(("symbol", "package"), [
    # Go symbol names, as in the brief and `go tool nm`
    ("main.main", "main"),
    ("syscall/js.Value.Get", "syscall/js"),
    ("fmt.(*pp).doPrintf", "fmt"),
    ("example.com/x/internal/todo.(*List).Add", "example.com/x/internal/todo"),
    ("runtime.mallocgc", "runtime"),
    ("main.main.func1", "main"),
    ("slices.SortFunc[go.shape.*uint8]", "slices"),
    ("example.com/x.Map[go.shape.string,example.com/y.T]", "example.com/x"),
    ("gopkg.in/yaml%2ev3.(*parser).parse", "gopkg.in/yaml.v3"),
    ("example%2ecom.F", "example.com"),
    ("type:.eq.[2]interface {}", GENERATED),
    # the same names as Go's wasm linker writes them (every char outside [0-9A-Za-z_.] -> "_")
    ("syscall_js.Value.Get", "syscall/js"),
    ("fmt.__pp_.doPrintf", "fmt"),
    ("example.com_x_internal_todo.__List_.Add", "example.com/x/internal/todo"),
    ("internal_runtime_atomic.Xadd64", "internal/runtime/atomic"),
    ("runtime.mapaccess1_fast32", "runtime"),
    ("runtime.finishsweep_m", "runtime"),
    ("sync.runtime_registerPoolCleanup", "sync"),
    ("github.com_user_repo_pkg.New", "github.com/user/repo/pkg"),
    ("go.uber.org_zap.New", "go.uber.org/zap"),
    ("go_ast.Walk", "go/ast"),
    ("vendor_golang.org_x_net_dns_dnsmessage.__Parser_.Start", "vendor/golang.org/x/net/dns/dnsmessage"),
    ("gopkg.in_yaml_2ev3.__parser_.parse", "gopkg.in/yaml.v3"),
    ("type_.eq.M36K4M8", GENERATED),
    ("memeqbody", NO_PACKAGE),
    ("wasm_pc_f_loop", NO_PACKAGE),
    ("go_buildid", NO_PACKAGE),
    ("_.goready.func1", NO_PACKAGE),
])
def test_package_of(symbol: str, package: str) -> None:
    assert package_of(symbol) == package


def test_known_import_paths_make_packages_exact() -> None:
    index = PackageIndex(["github.com/foo_bar/baz", "gopkg.in/yaml.v3", "syscall/js", "example.com/x",
                          "example.com/x/y"])
    # the heuristic alone would guess github.com/foo/bar/baz
    assert package_of("github.com_foo_bar_baz.__T_.M") == "github.com/foo/bar/baz"
    assert package_of("github.com_foo_bar_baz.__T_.M", index) == "github.com/foo_bar/baz"
    assert package_of("gopkg.in_yaml_2ev3.Unmarshal", index) == "gopkg.in/yaml.v3"
    assert package_of("example.com_x_y.F", index) == "example.com/x/y"  # longest known prefix wins
    assert package_of("example.com_x.F", index) == "example.com/x"
    assert package_of("main.main", index) == "main"
    assert package_of("syscall/js.Value.Get", index) == "syscall/js"
    assert package_of("runtime.mallocgc", index) == "runtime"  # unknown to the index: heuristic


def test_symbol_spelling_helpers_follow_go() -> None:
    assert path_to_prefix("gopkg.in/yaml.v3") == "gopkg.in/yaml%2ev3"
    assert path_to_prefix("example.com/a b") == "example.com/a%20b"
    assert path_to_prefix("syscall/js") == "syscall/js"
    assert wasm_symbol("fmt.(*pp).doPrintf") == "fmt.__pp_.doPrintf"
    assert wasm_symbol("type:.eq.[2]interface {}") == "type_.eq._2_interface___"


def test_largest_table_renders_without_a_status_column() -> None:
    module = assemble(FUNCTIONS)
    md = to_markdown(largest_table(largest(module, top=2), by="package", total=code_size(module)))
    assert "| package | code | share | functions |" in md
    assert "| runtime | 500 B | 50.0% | 2 |" in md
    assert "status" not in md
    assert "2 largest packages: 65.0% of the code (1 kB of function bodies)" in md


def test_largest_rejects_an_unknown_grouping() -> None:
    with pytest.raises(ValueError, match="by must be"):
        largest(assemble(FUNCTIONS), by="file")


@pytest.mark.e2e
def test_real_go_build_of_the_example(tmp_path: Path) -> None:
    from pipeline.wasm.toolchain import find_toolchain

    toolchain = find_toolchain()
    app = tmp_path / "todo"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    env = toolchain.env(wasm=True)
    unstripped, stripped = tmp_path / "x.wasm", tmp_path / "s.wasm"
    for out, flags in ((unstripped, []), (stripped, ["-ldflags=-s"])):
        subprocess.run([str(toolchain.go), "build", "-trimpath", *flags, "-o", str(out), "."], cwd=app, env=env,
                       check=True, capture_output=True, timeout=300)
    data = unstripped.read_bytes()

    module = parse_module(data)
    assert module.has_name_section
    assert len(module.body_sizes) > 500
    assert sum(module.body_sizes) < len(data)
    shares = largest(data, by="package", top=None)
    by_name = {s.name: s for s in shares}
    assert shares[0].name == "runtime"
    for package in ("main", "syscall/js", "example.com/vango/todo/internal/todo", "internal/runtime/atomic"):
        assert package in by_name, package
    assert sum(s.percent for s in shares) == pytest.approx(100)
    assert sum(s.size for s in shares) == code_size(data)
    # no heuristic mistakes for this build: every named package is one `go list -deps` knows
    deps = subprocess.run([str(toolchain.go), "list", "-deps", "-f", "{{.ImportPath}}", "."], cwd=app, env=env,
                          check=True, capture_output=True, text=True, timeout=300).stdout.split()
    exact = {s.name: s.size for s in largest(data, by="package", top=None, packages=deps)}
    assert {s.name: s.size for s in shares} == exact
    # runtime code pushed into other packages with //go:linkname keeps their names (time.now, …)
    assert set(exact) - {NO_PACKAGE, GENERATED, "time", "runtime/debug"} <= set(deps) | {"main"}

    functions = largest(data, by="function", top=10)
    assert len(functions) == 10
    assert all(f.functions >= 1 for f in functions)
    assert any(f.name.startswith("runtime.") for f in functions)

    with pytest.raises(GateError, match="build without -s"):
        largest(stripped.read_bytes())
    assert len(stripped.read_bytes()) < len(data)


def test_function_names_are_shown_as_go_writes_them():
    from pipeline.gates.size.wasm import PackageIndex, display_name

    index = PackageIndex(["runtime", "syscall/js", "internal/strconv", "example.com/vango/todo/internal/todo"])
    shown = {name: display_name(name, index) for name in [
        "runtime.__sweepLocked_.sweep", "syscall_js.ValueOf", "internal_strconv.fmtEFG", "main.__app_.render",
        "example.com_vango_todo_internal_todo.__List_.Add", "runtime.gcBgMarkWorker.func1", "fmt.(*pp).doPrintf",
        "runtime.__my_type_.m"]}
    assert shown == {
        "runtime.__sweepLocked_.sweep": "runtime.(*sweepLocked).sweep",
        "syscall_js.ValueOf": "syscall/js.ValueOf",
        "internal_strconv.fmtEFG": "internal/strconv.fmtEFG",
        "main.__app_.render": "main.(*app).render",
        "example.com_vango_todo_internal_todo.__List_.Add": "example.com/vango/todo/internal/todo.(*List).Add",
        "runtime.gcBgMarkWorker.func1": "runtime.gcBgMarkWorker.func1",
        "fmt.(*pp).doPrintf": "fmt.(*pp).doPrintf",
        "runtime.__my_type_.m": "runtime.(*my_type).m",
    }
