"""File writes that never leave a half-written file and never touch a file whose bytes are unchanged
(so mtimes stay put and doit's checks stay cheap)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    _check_length(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A short temporary name: a target whose name is near the limit must not fail on its temporary file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vango-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; served files must be readable by the server
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems


def _check_length(path: Path) -> None:
    """A name the file system cannot hold is the app's to shorten: one line, not an OSError."""
    length = len(path.name.encode("utf-8"))
    if length > NAME_MAX:
        from pipeline.core.errors import PipelineError

        raise PipelineError(f"the output file name {path.name[:40]}…{path.name[-24:]} is {length} bytes long, over "
                            f"the {NAME_MAX} a file system allows (content hashes and .br/.gz add up to 20): "
                            "shorten the source file's name")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless ``path`` already holds exactly these bytes; True when it wrote."""
    _check_length(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".git", ".hg", ".svn", ".idea", ".vscode",
                        "__pycache__", "node_modules"})


def is_junk(name: str) -> bool:
    """OS and editor droppings (``.DS_Store``, ``file~``, ``.#file``, ``.file.swp``), never app files."""
    return name in JUNK_NAMES or name.endswith(("~", ".swp", ".swx", ".tmp")) or name.startswith(".#")


def files_under(root: Path) -> list[Path]:
    """Regular files below ``root``, sorted, without junk (``.well-known/`` and other dotfiles are kept).

    Symbolic links are followed only while they stay inside ``root`` (one pointing elsewhere is an error:
    it would publish a file from outside the project); broken links, FIFOs and sockets are skipped.
    """
    if not root.is_dir():
        return []
    real_root = root.resolve()
    found, seen = [], set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = Path(folder).resolve()
        if real in seen:  # a link loop
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not is_junk(d) and _inside(Path(folder) / d, real_root))
        for name in [*dirs, *(n for n in names if not is_junk(n))]:
            _check_name(Path(folder) / name)
        for name in names:
            path = Path(folder) / name
            if not is_junk(name) and _inside(path, real_root) and path.is_file():
                found.append(path)
    return sorted(found)


_CONTROL = frozenset(chr(c) for c in [*range(0x20), 0x7F])


def _check_name(path: Path) -> None:
    """A file name must be printable UTF-8: names end up as lines of ``_headers`` and ``nginx.conf``, in the
    service worker and the manifest, where a newline or another control character would inject a rule."""
    from pipeline.core.errors import ConfigError

    name = path.name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"the file name {name!r} is not valid UTF-8; rename it", path=path.parent) from None
    if _CONTROL.intersection(name):
        raise ConfigError(f"the file name {name!r} contains a control character (a newline, tab, …); rename it",
                          path=path.parent)


check_name = _check_name  # for walks of their own (the docs folder's)


def _inside(path: Path, real_root: Path) -> bool:
    if path.is_symlink() and path.exists() and not path.resolve().is_relative_to(real_root):
        from pipeline.core.errors import PipelineError

        raise PipelineError(f"links outside {real_root.name}/ (to {path.resolve()}); copy the file in instead",
                            path=path)
    return True


def logical(path: Path, root: Path) -> str:
    """POSIX path of ``path`` relative to ``root``: the name that references and the manifest use."""
    return path.relative_to(root).as_posix()
