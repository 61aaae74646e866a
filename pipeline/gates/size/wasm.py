"""``--why``: which Go packages and functions make a wasm binary big.

A reader of the WebAssembly binary format (Core spec, chapter 5 "Binary Format"; the ``name`` custom section
is in its appendix 7.4): sections, LEB128 integers, the import section (imported functions come first in the
function index space), the code section (one body per defined function) and the ``name`` section's function
names. ``go build -ldflags=-s`` drops the name section, so this needs an unstripped build.

Go's linker (cmd/link/internal/wasm/asm.go) writes each function's symbol name with every character outside
``[0-9A-Za-z_.]`` replaced by ``_``: ``syscall/js.Value.Get`` becomes ``syscall_js.Value.Get`` and
``fmt.(*pp).doPrintf`` becomes ``fmt.__pp_.doPrintf``. Package paths are recovered exactly when the build's
import paths are passed in (``go list -deps``), otherwise by a heuristic (see :func:`package_of`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.gates.common import GateError
from pipeline.gates.render import Column, GateTable
from pipeline.gates.size.units import format_size

MAGIC = b"\0asm"
VERSION = b"\x01\0\0\0"
SECTION_CUSTOM, SECTION_IMPORT, SECTION_CODE = 0, 2, 10
LAST_SECTION_ID = 13  # tag section (exception handling)
NAME_SUBSECTION_FUNCTIONS = 1

NO_PACKAGE = "(no package)"  # assembly and linker stubs without a package prefix: wasm_pc_f_loop, memeqbody
GENERATED = "(compiler-generated)"  # type:.eq.* and friends

# First elements of standard-library import paths (Go 1.27; `go list std`). Only used to tell std packages
# from module paths whose host contains a dot once "/" has become "_".
STD_ROOTS = frozenset({
    "archive", "arena", "bufio", "builtin", "bytes", "cmp", "compress", "container", "context", "crypto",
    "database", "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt", "go", "hash", "html", "image",
    "index", "internal", "io", "iter", "log", "main", "maps", "math", "mime", "net", "os", "path", "plugin",
    "reflect", "regexp", "runtime", "simd", "slices", "sort", "strconv", "strings", "structs", "sync", "syscall",
    "testing", "text", "time", "unicode", "unique", "unsafe", "uuid", "vendor", "weak",
})


@dataclass(frozen=True)
class Section:
    id: int
    offset: int  # of the section's content
    size: int
    name: str | None = None  # custom sections only


@dataclass(frozen=True)
class WasmModule:
    sections: tuple[Section, ...]
    imported_functions: int
    body_sizes: tuple[int, ...]  # code section entries, in order (function index = imported_functions + i)
    function_names: dict[int, str]  # from the name section; empty when there is none
    has_name_section: bool

    def functions(self) -> list[tuple[int, str | None, int]]:
        """(function index, name or None, body size in bytes) of every defined function."""
        first = self.imported_functions
        return [(first + i, self.function_names.get(first + i), size) for i, size in enumerate(self.body_sizes)]


@dataclass(frozen=True)
class CodeShare:
    name: str  # package path or function name
    size: int  # bytes of function bodies
    functions: int
    percent: float  # of all function bodies


class _Reader:
    def __init__(self, data: bytes, pos: int, end: int, path: str | Path | None):
        self.data, self.pos, self.end, self.path = data, pos, end, path

    def fail(self, message: str) -> GateError:
        return GateError(f"malformed WebAssembly at byte {self.pos}: {message}", path=self.path)

    def byte(self) -> int:
        if self.pos >= self.end:
            raise self.fail("unexpected end")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def uleb(self, bits: int = 32) -> int:
        """Unsigned LEB128 of at most ``bits`` bits (spec 5.2.2)."""
        result = shift = 0
        for _ in range((bits + 6) // 7):
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if result >> bits:
                    raise self.fail(f"integer too large for u{bits}")
                return result
        raise self.fail(f"LEB128 longer than u{bits} allows")

    def sleb(self, bits: int = 33) -> int:
        result = shift = 0
        for _ in range((bits + 6) // 7):
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if b & 0x40:
                    result -= 1 << shift
                return result
        raise self.fail(f"LEB128 longer than s{bits} allows")

    def take(self, n: int) -> bytes:
        if n > self.end - self.pos:
            raise self.fail(f"{n} bytes announced, {self.end - self.pos} left")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def name(self) -> str:
        raw = self.take(self.uleb())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("name is not UTF-8") from None

    # Types, just enough to step over imports (spec 5.3).
    def reftype(self, first: int | None = None) -> None:
        b = self.byte() if first is None else first
        if b in (0x63, 0x64):  # (ref null? heaptype), function-references / GC proposals
            self.sleb()
        elif not 0x69 <= b <= 0x74:
            raise self.fail(f"unknown reference type 0x{b:02x}")

    def valtype(self) -> None:
        b = self.byte()
        if b in (0x7F, 0x7E, 0x7D, 0x7C, 0x7B):  # i32 i64 f32 f64 v128
            return
        self.reftype(b)

    def limits(self) -> None:
        flags = self.byte()
        if flags > 0x07:
            raise self.fail(f"unknown limits flags 0x{flags:02x}")
        self.uleb(64)
        if flags & 0x01:
            self.uleb(64)


def parse_module(data: bytes, *, path: str | Path | None = None) -> WasmModule:
    """Sections, imported function count, code body sizes and function names of a wasm binary."""
    if data[:4] != MAGIC:
        raise GateError("not a WebAssembly binary (no \\0asm magic)", path=path)
    if data[4:8] != VERSION:
        raise GateError(f"unsupported WebAssembly version {data[4:8].hex()} (expected 01000000)", path=path)
    top = _Reader(data, 8, len(data), path)
    sections: list[Section] = []
    imported = 0
    bodies: tuple[int, ...] = ()
    names: dict[int, str] = {}
    has_names = False
    while top.pos < top.end:
        section_id = top.byte()
        if section_id > LAST_SECTION_ID:
            raise top.fail(f"unknown section id {section_id}")
        size = top.uleb()
        start = top.pos
        top.take(size)
        body = _Reader(data, start, start + size, path)
        if section_id == SECTION_CUSTOM:
            custom = body.name()
            sections.append(Section(section_id, start, size, custom))
            if custom == "name" and not has_names:
                has_names = True
                names = _function_names(body)
            continue
        sections.append(Section(section_id, start, size))
        if section_id == SECTION_IMPORT:
            imported = _imported_functions(body)
        elif section_id == SECTION_CODE:
            bodies = _body_sizes(body)
    return WasmModule(tuple(sections), imported, bodies, names, has_names)


def _imported_functions(r: _Reader) -> int:
    functions = 0
    for _ in range(r.uleb()):
        r.name()
        r.name()
        kind = r.byte()
        if kind == 0x00:  # func: typeidx
            r.uleb()
            functions += 1
        elif kind == 0x01:  # table: reftype limits
            r.reftype()
            r.limits()
        elif kind == 0x02:  # memory: limits
            r.limits()
        elif kind == 0x03:  # global: valtype mut
            r.valtype()
            r.byte()
        elif kind == 0x04:  # tag: attribute typeidx
            r.byte()
            r.uleb()
        else:
            raise r.fail(f"unknown import kind 0x{kind:02x}")
    return functions


def _body_sizes(r: _Reader) -> tuple[int, ...]:
    sizes = []
    for _ in range(r.uleb()):
        size = r.uleb()
        r.take(size)
        sizes.append(size)
    if r.pos != r.end:
        raise r.fail("code section has trailing bytes")
    return tuple(sizes)


def _function_names(r: _Reader) -> dict[int, str]:
    names: dict[int, str] = {}
    while r.pos < r.end:
        sub_id = r.byte()
        size = r.uleb()
        start = r.pos
        r.take(size)
        if sub_id != NAME_SUBSECTION_FUNCTIONS:
            continue
        sub = _Reader(r.data, start, start + size, r.path)
        for _ in range(sub.uleb()):
            index = sub.uleb()
            names[index] = sub.name()
    return names


# Go symbol names -> packages ---------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^\w.]", re.ASCII)
_HOST = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+_")


def path_to_prefix(path: str) -> str:
    """Go's objabi.PathToPrefix: the package path as it appears in symbol names (``.`` in the last element,
    ``%``, ``"``, spaces, controls and non-ASCII bytes become ``%xx``)."""
    slash = path.rfind("/")
    out = []
    for i, byte in enumerate(path.encode("utf-8")):
        c = chr(byte)
        if byte <= 0x20 or byte >= 0x7F or c in '%"' or (c == "." and i > slash):
            out.append(f"%{byte:02x}")
        else:
            out.append(c)
    return "".join(out)


def wasm_symbol(name: str) -> str:
    """A Go symbol as Go's wasm linker writes it into the name section."""
    return _NOT_WORD.sub("_", name)


class PackageIndex:
    """Exact package recovery from known import paths (``go list -deps -f '{{.ImportPath}}' .`` with
    ``GOOS=js GOARCH=wasm``); the main package's symbols are always ``main.*``."""

    def __init__(self, import_paths: Iterable[str]):
        self.by_prefix: dict[str, str] = {"main": "main"}
        for path in import_paths:
            self.by_prefix.setdefault(wasm_symbol(path_to_prefix(path)), path)

    def lookup(self, name: str) -> str | None:
        found = self.split(name)
        return found[0] if found else None

    def split(self, name: str) -> tuple[str, str] | None:
        """(package path, the rest of the symbol after its ``.``), for the longest known package prefix."""
        symbol = wasm_symbol(name)
        best = None
        for match in re.finditer(r"\.", symbol):
            found = self.by_prefix.get(symbol[:match.start()])
            if found is not None:
                best = (found, name[match.end():])  # later dots give longer prefixes
        return best


_POINTER_RECEIVER = re.compile(r"(^|\.)__(\w+?)_(?=\.|$)", re.ASCII)


def display_name(name: str, packages: PackageIndex | None = None) -> str:
    """A wasm function name as Go writes it: ``runtime.__sweepLocked_.sweep`` -> ``runtime.(*sweepLocked).sweep``
    and, with ``packages``, ``syscall_js.ValueOf`` -> ``syscall/js.ValueOf`` (the same package names as the
    package table). Names that are already Go symbols are left as they are."""
    if any(c in name for c in "/(*"):
        return name
    found = packages.split(name) if packages is not None else None
    if found is None:  # the package table's own guess, so both tables name packages alike
        guess = package_of(name)
        mangled = wasm_symbol(path_to_prefix(guess))
        found = (guess, name[len(mangled) + 1:]) if name.startswith(mangled + ".") else None
    package, rest = found if found else (None, name)
    rest = _POINTER_RECEIVER.sub(lambda m: f"{m[1]}(*{m[2]})", rest)
    return f"{package}.{rest}" if package else rest


def _unescape(prefix: str) -> str:
    return re.sub(r"%([0-9a-fA-F]{2})", lambda m: chr(int(m[1], 16)), prefix)


def package_of(name: str, packages: PackageIndex | None = None) -> str:
    """The Go package a function belongs to, from its symbol name (as in Go or as in the wasm name section).

    Go symbols: ``fmt.(*pp).doPrintf`` -> ``fmt``; ``example.com/x/internal/todo.(*List).Add`` ->
    ``example.com/x/internal/todo`` (the path ends at the first ``.`` after its last ``/``; type arguments
    in ``[...]`` and receivers in ``(...)`` are ignored; ``%2e`` is unescaped).

    Wasm names (``/`` lost to ``_``): with ``packages`` the answer is exact; without, standard-library roots
    end at the first ``.``, a leading ``host.tld_`` marks a module path that ends at the next ``.``, and
    ``_`` is shown as ``/`` (so a module path with ``_`` in it is misreported: pass ``packages``).
    """
    if packages is not None:
        found = packages.lookup(name)
        if found is not None:
            return found
    if name.startswith(("type:", "type_.", "type..")):
        return GENERATED
    if "." not in name:
        return NO_PACKAGE
    if any(c in name for c in "/(%[*"):  # a Go symbol, not sanitized
        head = re.split(r"[(\[]", name, maxsplit=1)[0]
        slash = head.rfind("/")
        dot = head.find(".", slash + 1)
        return _unescape(head[:dot] if dot >= 0 else head.rstrip("."))
    if name.startswith("vendor_"):
        return "vendor/" + package_of(name[len("vendor_"):])
    root = re.match(r"[A-Za-z0-9-]*", name)[0]
    prefix = name[:name.index(".")]
    if root not in STD_ROOTS or root == "go":  # no std package is called "go": "go." starts a host (go.uber.org)
        host = _HOST.match(name)
        if host:
            end = name.find(".", host.end())
            prefix = name[:end] if end >= 0 else name
    package = prefix.replace("_2e", ".").replace("_", "/")
    return NO_PACKAGE if not package.strip("/") else package  # e.g. "_.goready.func1": nothing left to go by


def largest(wasm: bytes, by: str = "package", top: int | None = 20, *, packages: Iterable[str] | None = None,
            path: str | Path | None = None) -> list[CodeShare]:
    """The ``top`` biggest packages (``by="package"``) or functions (``by="function"``) by code bytes, with their
    share of all function bodies. ``packages``: the build's import paths, for exact package names."""
    if by not in ("package", "function"):
        raise ValueError(f'by must be "package" or "function", not {by!r}')
    module = parse_module(wasm, path=path)
    if not module.has_name_section or not module.function_names:
        raise GateError('no "name" section with function names: build without -s (ldflags -s strips it) to '
                        "see what makes the wasm big", path=path)
    index = PackageIndex(packages) if packages is not None else None
    totals: dict[str, list[int]] = {}
    grand = 0
    for number, name, size in module.functions():
        label = display_name(name, index) if name is not None else f"(unnamed function {number})"
        key = label if by == "function" else (package_of(name, index) if name is not None else NO_PACKAGE)
        entry = totals.setdefault(key, [0, 0])
        entry[0] += size
        entry[1] += 1
        grand += size
    shares = [CodeShare(key, size, count, 100.0 * size / grand if grand else 0.0)
              for key, (size, count) in totals.items()]
    shares.sort(key=lambda s: (-s.size, s.name))
    return shares if top is None else shares[:top]


def code_size(wasm: bytes, *, path: str | Path | None = None) -> int:
    """Bytes of all function bodies (the 100 % of :func:`largest`)."""
    return sum(parse_module(wasm, path=path).body_sizes)


def largest_table(shares: list[CodeShare], *, by: str = "package", total: int | None = None) -> GateTable:
    """``--why`` output as a :class:`~pipeline.gates.render.GateTable` (``to_rich`` / ``to_markdown``)."""
    covered = sum(s.percent for s in shares)
    summary = f"{len(shares)} largest {by}s: {covered:.1f}% of the code"
    if total is not None:
        summary += f" ({format_size(total)} of function bodies)"
    table = GateTable(f"What makes the wasm big (by {by})",
                      [Column(by), Column("code", numeric=True), Column("share", numeric=True),
                       Column("functions", numeric=True)], summary=summary, show_status=False)
    for share in shares:
        table.add("info", [share.name, format_size(share.size), f"{share.percent:.1f}%", str(share.functions)])
    return table
