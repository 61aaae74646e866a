"""pipeline.assets.minify: what each minifier keeps, and how it reports code it cannot parse."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.assets import minify
from pipeline.assets.rewrite import html
from pipeline.assets.sri.html import inline_script_hashes, inline_style_hashes


def test_js_drops_comments_and_whitespace_and_keeps_licences_and_exports():
    out = minify.js("/*! MIT licence */\n// a note\nexport function add(first, second) {\n  const sum = first + second;"
                    "\n  return sum;\n}\nconst text = `a  ${1 + 2}  b`;\n")
    assert out.startswith("/*! MIT licence */") and "a note" not in out
    assert "export" in out and "add" in out and "`a  ${1+2}  b`" in out  # template text kept byte for byte
    assert len(out) < 90


def test_wasm_exec_keeps_its_copyright_notice():
    source = ("// Copyright 2018 The Go Authors. All rights reserved.\n// Use of this source code is governed by a "
              "BSD-style\n// license that can be found in the LICENSE file.\n\n\"use strict\";\n(() => { "
              "const value = 1; globalThis.Go = class { run() { return value; } }; })();\n")
    out = minify.js_keeping_notice(source)
    assert out.startswith("/*! Copyright 2018 The Go Authors. All rights reserved. Use of this source code is "
                          "governed by a BSD-style license that can be found in the LICENSE file. */\n")
    assert "globalThis.Go" in out and "//" not in out


def test_css_keeps_quoted_urls_and_strings_intact():
    out = minify.css('/*! kept */ .a { background: url("../img/café au lait.png"); content: "a  b"; '
                     "margin: 0px 0px; }\n")
    assert out.startswith("/*!") and 'url("../img/café au lait.png")' in out and '"a  b"' in out
    assert "margin:0" in out.replace(" ", "")


def test_a_syntax_error_names_its_line():
    with pytest.raises(minify.MinifyError) as caught:
        minify.js("const a = 1;\nconst b = @;\n")
    assert caught.value.line == 2 and "column" in str(caught.value) and "\n" not in str(caught.value)


def test_generated_scripts_pass_through_when_off():
    source = b"// comment\nconst a = 1;\n"
    assert minify.generated_script(source, False) == source
    assert minify.generated_script(source, True) == b"const a=1"


PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<script>
  // the guard
  addEventListener("error", (event) => { console.log(event); }, true);
</script>
<script type="importmap">{ "imports": { "a": "./a.js" } }</script>
<script type="text/x-template">  keep   me  </script>
<style>
  body { color: red; }
</style>
<title>  Hi  </title></head>
<body><p class="a  b">Hello   <b>world</b></p><pre>  x
  y</pre></body></html>
"""


def test_inline_code_is_minified_before_hashing_and_the_page_keeps_those_hashes():
    tree = html.parse(PAGE)
    minify.inline_code(tree, scripts=True, styles=True)
    scripts, styles = inline_script_hashes(tree), inline_style_hashes(tree)
    served = minify.html(html.serialize(tree))
    after = html.parse(served)
    assert sorted(inline_script_hashes(after)) == sorted(scripts) and inline_style_hashes(after) == styles
    text = served.decode()
    assert "the guard" not in text and '{"imports":{"a":"./a.js"}}' in text
    assert "  keep   me  " in text  # not JavaScript: byte for byte
    assert "<pre>  x\n  y</pre>" in text and "</p>" in text and "<head>" in text  # shape kept


def test_inline_code_is_only_trimmed_when_its_kind_is_off():
    tree = html.parse(PAGE)
    minify.inline_code(tree, scripts=False, styles=False)
    script = next(e for e in tree.iter("script") if not e.get("type"))
    assert script.text.startswith("// the guard") and script.text == script.text.strip()
    after = html.parse(minify.html(html.serialize(tree)))
    assert sorted(inline_script_hashes(after)) == sorted(inline_script_hashes(tree))


def test_a_syntax_error_in_inline_code_names_the_page_line():
    tree = html.parse(b"<html><head><title>x</title></head><body>\n<p>a</p>\n<script>\nok();\nbroken(;\n"
                      b"</script></body></html>")
    with pytest.raises(minify.MinifyError) as caught:
        minify.inline_code(tree, scripts=True, styles=True)
    assert caught.value.line == 5


def test_output_is_deterministic():
    assert minify.js("let a = 1; export { a };") == minify.js("let a = 1; export { a };")
    digest = hashlib.sha256(minify.html(PAGE)).hexdigest()
    assert hashlib.sha256(minify.html(PAGE)).hexdigest() == digest


def test_the_minifiers_versions_are_in_the_task_settings(monkeypatch: pytest.MonkeyPatch):
    from importlib import metadata

    before = minify.task_settings(True)
    assert "minify-html " in before["minifiers"] and "tdewolff-minify " in before["minifiers"]
    minify.versions.cache_clear()
    monkeypatch.setattr(metadata, "version", lambda name: "99.0")  # an upgrade re-runs what minifies
    try:
        assert minify.task_settings(True) != before
    finally:
        minify.versions.cache_clear()
