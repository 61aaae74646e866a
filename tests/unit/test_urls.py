"""pipeline.core.urls: which references are local, and how they map to logical paths and back."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core import urls
from pipeline.core.urls import EscapesRoot

SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
QUERY_OR_FRAGMENT = st.sampled_from(["", "?v=1", "#frag", "?a=b#c", "#x?y"])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("a.png", True),
        ("img/a.png", True),
        ("/img/a.png", True),
        ("../img/a.png", True),
        ("./a.js", True),
        ("  a.png  ", True),
        ("a.png?v=1#top", True),
        ("", False),
        ("   ", False),
        ("#top", False),
        ("?query", False),
        ("//cdn.example.com/lib.js", False),
        ("https://example.com/a.png", False),
        ("HTTP://EXAMPLE.COM/a.png", False),
        ("data:image/png;base64,AAAA", False),
        ("mailto:someone@example.com", False),
        ("javascript:void(0)", False),
        ("blob:https://x/123", False),
        ("  https://example.com/a.png", False),
    ],
)
def test_is_local(url: str, expected: bool) -> None:
    assert urls.is_local(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("a/b.png?v=1#x", ("a/b.png", "?v=1#x")),
        ("a/b.png#x?y", ("a/b.png", "#x?y")),
        ("a/b.png", ("a/b.png", "")),
        ("?q", ("", "?q")),
        ("#f", ("", "#f")),
        ("", ("", "")),
    ],
)
def test_split_examples(url: str, expected: tuple[str, str]) -> None:
    assert urls.split(url) == expected


@given(st.text(max_size=40))
def test_split_is_a_partition_at_the_first_query_or_fragment(url: str) -> None:
    path, rest = urls.split(url)
    assert path + rest == url
    assert "?" not in path and "#" not in path
    assert rest == "" or rest[0] in "?#"


@pytest.mark.parametrize(
    ("url", "importer", "base", "base_href", "expected"),
    [
        ("a.png", "index.html", "/", None, "a.png"),
        ("a.png", "css/app.css", "/", None, "css/a.png"),
        ("../img/a.png", "css/app.css", "/", None, "img/a.png"),
        ("./fonts/../img/a.png?v=2#x", "css/app.css", "/", None, "css/img/a.png"),
        ("/img/a.png", "css/deep/app.css", "/", None, "img/a.png"),
        ("/app/x.js", "index.html", "/app/", None, "x.js"),
        ("/app/sub/x.js", "index.html", "/app/", None, "sub/x.js"),
        ("/other/x.js", "index.html", "/app/", None, None),
        ("a%20b.png", "index.html", "/", None, "a b.png"),
        ("/", "index.html", "/", None, ""),
        ("?only-query", "index.html", "/", None, None),
        ("#only-fragment", "index.html", "/", None, None),
        # <base href>: relative folder, relative file, absolute under base, outside base, external
        ("x.png", "index.html", "/", "sub/", "sub/x.png"),
        ("x.png", "index.html", "/", "sub", "x.png"),
        ("x.png", "pages/index.html", "/", "sub/", "pages/sub/x.png"),
        ("x.png", "index.html", "/app/", "/app/s/p.html", "s/x.png"),
        ("x.png", "index.html", "/app/", "/app/s/", "s/x.png"),
        ("x.png", "index.html", "/app/", "/elsewhere/", None),
        ("x.png", "a/index.html", "/", "https://cdn.example.com/x/", "a/x.png"),
        ("/abs.png", "index.html", "/", "sub/", "abs.png"),
    ],
)
def test_to_logical(url: str, importer: str, base: str, base_href: str | None, expected: str | None) -> None:
    assert urls.to_logical(url, importer, base, base_href) == expected


@pytest.mark.parametrize(
    ("url", "importer", "base_href"),
    [
        ("../secret", "index.html", None),
        ("../../secret", "css/app.css", None),
        ("%2e%2e/secret", "index.html", None),
        ("a/../../secret", "index.html", None),
        ("..", "index.html", None),
        ("x.png", "index.html", "../"),
    ],
)
def test_to_logical_refuses_paths_above_the_web_folder(url: str, importer: str, base_href: str | None) -> None:
    with pytest.raises(EscapesRoot):
        urls.to_logical(url, importer, "/", base_href)


def test_escapes_root_is_a_value_error() -> None:
    assert issubclass(EscapesRoot, ValueError)


@given(
    importer_dirs=st.lists(SEGMENT, max_size=3),
    ups=st.integers(min_value=0, max_value=4),
    target=st.lists(SEGMENT, min_size=1, max_size=3),
    suffix=QUERY_OR_FRAGMENT,
)
def test_to_logical_relative_paths_match_posix_resolution(
    importer_dirs: list[str], ups: int, target: list[str], suffix: str
) -> None:
    importer = "/".join([*importer_dirs, "page.html"])
    url = "../" * ups + "/".join(target) + suffix
    if ups > len(importer_dirs):
        with pytest.raises(EscapesRoot):
            urls.to_logical(url, importer)
        return
    kept = importer_dirs[: len(importer_dirs) - ups]
    assert urls.to_logical(url, importer) == "/".join([*kept, *target])


@given(
    base_parts=st.lists(SEGMENT, max_size=2),
    target=st.lists(st.one_of(SEGMENT, st.sampled_from([".", ".."])), min_size=1, max_size=5),
)
def test_to_logical_absolute_paths_under_base(base_parts: list[str], target: list[str]) -> None:
    """'/<base>/<segments>' resolves like a stack of segments; climbing above the web folder is an error."""
    base = "/" + "".join(p + "/" for p in base_parts)
    url = base + "/".join(target)
    stack: list[str] = []
    escaped = False
    for segment in target:
        if segment == "..":
            if not stack:
                escaped = True
                break
            stack.pop()
        elif segment != ".":
            stack.append(segment)
    if escaped:
        with pytest.raises(EscapesRoot):
            urls.to_logical(url, "pages/index.html", base)
        return
    result = urls.to_logical(url, "pages/index.html", base)
    assert result == "/".join(stack)
    assert not result.startswith("/")


def test_to_logical_double_slash_after_base_gives_an_absolute_logical_path() -> None:
    """BUG: with base '/app/', '/app//x.png' maps to '/x.png' (posixpath.normpath keeps a leading '/')."""
    result = urls.to_logical("/app//x.png", "index.html", "/app/")
    assert result is None or result == "x.png"


@pytest.mark.parametrize(
    ("url", "basename", "expected"),
    [
        ("a.png", "a.1234.png", "a.1234.png"),
        ("img/a.png", "a.1234.png", "img/a.1234.png"),
        ("/x/a.png?v=1#f", "a.1234.png", "/x/a.1234.png?v=1#f"),
        ("/a.png", "a.1.png", "/a.1.png"),
        ("../a.png#frag", "a.1.png", "../a.1.png#frag"),
        ("img/a%20b.png", "a b.1.png", "img/a%20b.1.png"),  # the author escaped: keep escaping
        ("img/a b.png", "a b.1.png", "img/a b.1.png"),  # the author did not: keep it raw
        ("  x.png ", "y.png", "y.png"),
    ],
)
def test_with_basename(url: str, basename: str, expected: str) -> None:
    assert urls.with_basename(url, basename) == expected


@given(
    dirs=st.lists(SEGMENT, max_size=3),
    absolute=st.booleans(),
    last=SEGMENT,
    new=SEGMENT,
    suffix=QUERY_OR_FRAGMENT,
)
def test_with_basename_only_swaps_the_last_segment(
    dirs: list[str], absolute: bool, last: str, new: str, suffix: str
) -> None:
    url = ("/" if absolute else "") + "/".join([*dirs, last + ".png"]) + suffix
    result = urls.with_basename(url, new + ".png")
    path, rest = urls.split(result)
    assert rest == suffix
    assert posixpath.dirname(path) == posixpath.dirname(urls.split(url)[0])
    assert unquote(posixpath.basename(path)) == new + ".png"
