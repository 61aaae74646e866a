"""File writes that never leave a half-written file and never touch a file whose bytes are unchanged
(so mtimes stay put and doit's checks stay cheap)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless ``path`` already holds exactly these bytes; True when it wrote."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".git", ".hg", ".svn", ".idea", ".vscode"})


def is_junk(name: str) -> bool:
    """OS and editor droppings (``.DS_Store``, ``file~``, ``.#file``, ``.file.swp``), never app files."""
    return name in JUNK_NAMES or name.endswith(("~", ".swp", ".swx", ".tmp")) or name.startswith(".#")


def files_under(root: Path) -> list[Path]:
    """Regular files below ``root``, sorted, without junk (``.well-known/`` and other dotfiles are kept)."""
    if not root.is_dir():
        return []
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not is_junk(d))
        found.extend(Path(folder) / n for n in names if not is_junk(n))
    return sorted(found)


def logical(path: Path, root: Path) -> str:
    """POSIX path of ``path`` relative to ``root``: the name that references and the manifest use."""
    return path.relative_to(root).as_posix()
