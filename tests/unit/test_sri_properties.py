"""Property: rewriting and protecting a page never drops or adds an element, and afterwards every script
and stylesheet carries a valid integrity value."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.assets.rewrite import html
from pipeline.assets.sri import integrity
from pipeline.assets.sri.html import add_importmap_integrity, add_integrity, fetching_elements, has_valid_token

NAMES = st.text(alphabet=st.sampled_from("abcxyzé-_0123"), min_size=1, max_size=8)
FOLDERS = st.sampled_from(["", "js/", "css/", "./", "../", "/", "sub/deeper/"])


@st.composite
def element(draw) -> str:
    name = draw(NAMES)
    folder = draw(FOLDERS)
    kind = draw(st.sampled_from(["script", "module", "inline", "style-link", "preload", "modulepreload", "img",
                                 "div", "p", "nested"]))
    if kind == "script":
        return f'<script src="{folder}{name}.js"></script>'
    if kind == "module":
        return f'<script type="module" src="{folder}{name}.mjs?v=1"></script>'
    if kind == "inline":
        return f"<script>window.x = {len(name)};</script>"
    if kind == "style-link":
        return f'<link rel="stylesheet" href="{folder}{name}.css">'
    if kind == "preload":
        return f'<link rel="preload" as="font" href="{folder}{name}.woff2">'
    if kind == "modulepreload":
        return f'<link rel="modulepreload" href="{folder}{name}.js">'
    if kind == "img":
        return f'<img src="{folder}{name}.png" alt="">'
    if kind == "nested":
        return f"<div><section><p>{name}</p><span>{name}</span></section></div>"
    return f"<{kind}>{name}</{kind}>"


def tags(tree) -> list[str]:
    return [e.tag for e in tree.iter() if isinstance(e.tag, str)]


def digest_of(url: str) -> str:
    return integrity(url.encode(), ("sha384", "sha512"))


@settings(max_examples=300, deadline=None)
@given(st.lists(element(), min_size=1, max_size=12), st.booleans(), st.booleans())
def test_protecting_never_drops_an_element_and_every_script_ends_with_integrity(parts, with_base, with_head):
    head = '<base href="/app/">' if with_base else ""
    page = "<!DOCTYPE html><html>" + (f"<head>{head}</head>" if with_head or with_base else "") + \
        "<body>" + "".join(parts) + "</body></html>"
    tree = html.parse(page.encode())
    before = tags(tree)
    html.rewrite(tree, lambda ref: ref.url.replace(".", ".0123456789abcdef.", 1))
    add_integrity(tree, digest_of, allow=())
    add_importmap_integrity(tree, {})
    after_tree = html.parse(html.serialize(tree))
    assert tags(after_tree) == before
    for item in fetching_elements(after_tree):
        value = item.element.get("integrity")
        assert value and has_valid_token(value), html.serialize(tree)
        url = unquote(item.element.get(item.attribute))  # lxml writes non-ASCII URLs percent-encoded
        assert value == digest_of(url)  # the value of the URL actually referenced
        sha384 = hashlib.sha384(url.encode()).digest()
        assert any(token.startswith("sha384-") and len(token) == 71 for token in value.split()), sha384
