"""@import rules found with their conditions, and the imported rules wrapped in them."""

from __future__ import annotations

from pipeline.assets.rewrite import cssbundle

SHEET = """@charset "utf-8";
@import "a.css";
@import url(b.css) screen and (min-width: 40em);
@import url("c.css") layer(base) supports(display: grid) print;
@import 'd.css' layer;
@import "https://fonts.example/x.css";
body { color: red; }
"""


def test_every_top_level_import_with_its_conditions():
    rules = cssbundle.import_rules(SHEET)
    assert [(r.url, r.layer, r.supports, r.media) for r in rules] == [
        ("a.css", None, None, ""), ("b.css", None, None, "screen and (min-width: 40em)"),
        ("c.css", "base", "display: grid", "print"), ("d.css", "", None, ""),
        ("https://fonts.example/x.css", None, None, "")]
    assert [SHEET[r.start:r.end] for r in rules][2] == '@import url("c.css") layer(base) supports(display: grid) print;'


def test_the_imported_rules_keep_the_import_s_conditions():
    c = cssbundle.import_rules(SHEET)[2]
    assert cssbundle.wrapped(c, ".x{}") == ("@media print {\n@supports (display: grid) {\n@layer base {\n.x{}\n}\n}\n}")
    d = cssbundle.import_rules(SHEET)[3]
    assert cssbundle.wrapped(d, ".y{}") == "@layer {\n.y{}\n}"
    assert cssbundle.wrapped(cssbundle.import_rules(SHEET)[0], "\n.z{}\n") == ".z{}"


def test_inlining_replaces_only_the_chosen_rules_and_charset_goes():
    rules = cssbundle.import_rules(SHEET)
    out = cssbundle.inline(SHEET, {rules[0].start: ".a{}", rules[1].start: "@media screen {\n.b{}\n}"})
    assert '@import "a.css"' not in out and ".a{}" in out and "@import url(\"c.css\")" in out
    assert cssbundle.without_charset('@charset "utf-8";\n.q{}') == ".q{}"
    assert cssbundle.without_charset(".q{}") == ".q{}"
