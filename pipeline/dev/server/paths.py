"""Request paths to files under the served folder, without ever leaving it.

Two layers: :func:`request_segments` refuses any request path that is not a plain list of names (dot segments,
encoded separators, backslashes, control characters, undecodable bytes), and :func:`contained_file` resolves
the result (symlinks included) and accepts it only if the real path is still inside the real root.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath
from urllib.parse import unquote


class BadPath(ValueError):
    """A request path that cannot name a file under the root (answered with 400)."""


@dataclass(frozen=True)
class RequestPath:
    segments: tuple[str, ...]  # decoded, non-empty names
    trailing_slash: bool


def _plain_name(segment: str) -> bool:
    if segment in (".", "..") or any(ord(char) < 0x20 or char in "\\\x7f" for char in segment):
        return False
    pure = PurePath(segment)  # on Windows this also refuses drives ("C:") and alternate streams' separators
    return not pure.drive and not pure.root and pure.parts == (segment,)


def request_segments(raw_path: bytes | str) -> RequestPath:
    """Split a request's raw (still percent-encoded) path into names; raise :class:`BadPath` if it is not plain.

    The path is decoded exactly once, and encoded ``/``, ``\\`` and NUL are refused outright: ``%2e%2e%2f`` is
    not a way around the dot-segment check, and ``%252e`` stays the literal name ``%2e`` (which names no file).
    """
    if isinstance(raw_path, bytes):
        try:
            raw_path = raw_path.decode("ascii")
        except UnicodeDecodeError as error:
            raise BadPath("non-ASCII bytes in the request path") from error
    raw_path = raw_path.split("?", 1)[0]
    if not raw_path.startswith("/"):
        raise BadPath("the request path is not absolute")
    lowered = raw_path.lower()
    if any(encoded in lowered for encoded in ("%2f", "%5c", "%00")):
        raise BadPath("encoded separator or NUL in the request path")
    try:
        decoded = unquote(raw_path, errors="strict")
    except UnicodeDecodeError as error:
        raise BadPath("the request path is not UTF-8") from error
    names = decoded.split("/")[1:]
    segments = tuple(name for name in names if name)
    if not all(_plain_name(name) for name in segments):
        raise BadPath("dot segment, backslash or control character in the request path")
    return RequestPath(segments, trailing_slash=bool(segments) and decoded.endswith("/"))


def contained(root: Path, *names: str) -> Path | None:
    """The real path of ``root/names…`` if it exists and is inside ``root`` (an already resolved folder)."""
    try:
        real = root.joinpath(*names).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a file used as a folder, a symlink loop
        return None
    return real if real == root or real.is_relative_to(root) else None


def contained_file(root: Path, *names: str) -> Path | None:
    real = contained(root, *names)
    return real if real is not None and real.is_file() else None


def resolve_root(root: Path) -> Path | None:
    """The served folder's real path now (it may be swapped by a rename between requests); None if absent."""
    try:
        real = Path(root).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return real if real.is_dir() else None
