"""pipeline.assets.sri.html and pipeline.assets.sri.csp: integrity attributes, cross-origin rules, import maps, CSP."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from pipeline.assets.rewrite import html
from pipeline.assets.sri import csp
from pipeline.assets.sri.html import (
    SriError,
    add_importmap_integrity,
    add_integrity,
    has_style_attributes,
    inline_script_hashes,
    inline_style_hashes,
)

PAGE = """<!DOCTYPE html>
<html><head>
<link rel="stylesheet" href="css/a.css">
<link rel="preload" href="fonts/f.woff2" as="font">
<link rel="icon" href="img/i.png">
<script src="js/a.js"></script>
<script>console.log("inline")</script>
<script type="application/ld+json">{"@type": "Thing"}</script>
<style>body { color: red }</style>
</head><body><p style="color: blue">x</p></body></html>"""


def tree(text: str = PAGE):
    return html.parse(text.encode())


def local(url: str) -> str:
    return "sha384-" + url


def test_same_origin_scripts_styles_and_preloads_get_integrity():
    t = tree()
    assert add_integrity(t, local, allow=()) == 3
    root = t.getroot()
    assert root.find(".//link[@rel='stylesheet']").get("integrity") == "sha384-css/a.css"
    assert root.find(".//script[@src]").get("integrity") == "sha384-js/a.js"
    assert root.find(".//script[@src]").get("crossorigin") is None  # same-origin classic script: not needed
    preload = root.find(".//link[@rel='preload']")
    assert preload.get("integrity") == "sha384-fonts/f.woff2" and preload.get("crossorigin") == "anonymous"
    assert root.find(".//link[@rel='icon']").get("integrity") is None  # icons are not SRI-checked by browsers


def test_cross_origin_without_integrity_is_an_error_naming_the_line():
    t = tree('<html><head>\n<script src="https://cdn.example.com/lib.js"></script></head></html>')
    with pytest.raises(SriError) as caught:
        add_integrity(t, local, allow=())
    assert caught.value.line == 2 and "https://cdn.example.com/lib.js" in str(caught.value)


def test_cross_origin_with_author_integrity_is_kept_and_gets_crossorigin():
    t = tree('<html><head><script src="https://cdn.example.com/lib.js" integrity="sha512-abc="></script></head></html>')
    add_integrity(t, local, allow=())
    script = t.getroot().find(".//script")
    assert script.get("integrity") == "sha512-abc=" and script.get("crossorigin") == "anonymous"


def test_author_integrity_with_only_unknown_algorithms_is_refused():
    t = tree('<html><head><script src="https://cdn.example.com/x.js" integrity="md5-abc"></script></head></html>')
    with pytest.raises(SriError, match="no sha256/384/512"):
        add_integrity(t, local, allow=())


def test_allow_list_relaxes_cross_origin():
    t = tree('<html><head><link rel="stylesheet" href="https://fonts.example.com/css?f=x"></head></html>')
    add_integrity(t, local, allow=("https://fonts.example.com/",))
    assert t.getroot().find(".//link").get("integrity") is None


def test_inline_hashes_cover_executable_scripts_and_styles_only():
    t = tree()
    expected = "sha384-" + base64.b64encode(hashlib.sha384(b'console.log("inline")').digest()).decode()
    assert inline_script_hashes(t) == [expected]
    assert inline_style_hashes(t, "sha256") == [
        "sha256-" + base64.b64encode(hashlib.sha256(b"body { color: red }").digest()).decode()]
    assert has_style_attributes(t)


def test_import_map_is_created_before_the_first_script_or_merged():
    t = tree('<html><head><meta charset="utf-8"><script type="module" src="/a.js"></script></head></html>')
    add_importmap_integrity(t, {"/b.js": "sha384-B"})
    scripts = t.getroot().findall(".//script")
    assert scripts[0].get("type") == "importmap" and json.loads(scripts[0].text) == {"integrity": {"/b.js": "sha384-B"}}

    t = tree('<html><head><script type="importmap">{"imports": {"x": "/x.js"}, "integrity": {"/b.js": "mine"}}'
             '</script></head></html>')
    add_importmap_integrity(t, {"/b.js": "sha384-B", "/c.js": "sha384-C"})
    data = json.loads(t.getroot().find(".//script").text)
    assert data == {"imports": {"x": "/x.js"}, "integrity": {"/b.js": "mine", "/c.js": "sha384-C"}}


def test_broken_author_import_map_is_reported():
    t = tree('<html><head>\n\n<script type="importmap">{nope</script></head></html>')
    with pytest.raises(SriError) as caught:
        add_importmap_integrity(t, {"/b.js": "sha384-B"})
    assert caught.value.line == 3


def test_policy_allows_wasm_and_hashed_inline_code_only():
    policy = csp.build_policy(script_hashes=["sha384-A"], style_hashes=["sha384-S"],
                              extra={"connect-src": ["https://api.example.com"], "script-src": ["'self'"]})
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'", "'sha384-A'"]
    assert policy["style-src"] == ["'self'", "'sha384-S'"]
    assert policy["connect-src"] == ["'self'", "https://api.example.com"]
    assert policy["object-src"] == ["'none'"]
    header = csp.serialize(policy)
    assert "frame-ancestors 'self'" in header and "frame-ancestors" not in csp.serialize(policy, for_meta=True)


def test_style_attributes_need_unsafe_inline_without_hashes():
    policy = csp.build_policy(style_hashes=["sha384-S"], style_attributes=True)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]  # a hash would disable 'unsafe-inline'
