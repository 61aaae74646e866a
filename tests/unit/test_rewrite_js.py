"""pipeline.assets.rewrite.js: module specifiers and new URL(..., import.meta.url) via tree-sitter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.assets.rewrite import js

SOURCE = """import x from './a.js';
export * from "./b.js";
export { y } from './c.js';
import './side-effect.js';
const m = await import('./d.js');
import(`./template.js`);
// import './comment.js'
/* import("./block-comment.js") */
const s = "import './in-string.js'";
import('./esc\\x2ejs');
import(name);
import('./two.js', { with: { type: 'json' } });
const u = new URL('./img.png', import.meta.url);
const v = new URL('./no.png', location.href);
const w = new URL(`./tpl.png`, import.meta.url);
import 'lit';
"""


def test_references_found_and_ignored() -> None:
    refs = js.references(SOURCE)
    assert [(r.url, r.kind, r.line) for r in refs] == [
        ("./a.js", "import", 1),
        ("./b.js", "import", 2),
        ("./c.js", "import", 3),
        ("./side-effect.js", "import", 4),
        ("./d.js", "import", 5),
        ("./img.png", "url", 13),
        ("lit", "import", 16),
    ]
    for r in refs:
        assert SOURCE[r.start:r.end] == r.url
        assert SOURCE[r.start - 1] in "'\"" and SOURCE[r.end] == SOURCE[r.start - 1]


def test_references_are_sorted_by_offset() -> None:
    refs = js.references(SOURCE)
    assert [r.start for r in refs] == sorted(r.start for r in refs)


def test_rewrite_only_touches_specifiers() -> None:
    out = js.rewrite(SOURCE, lambda r: r.url.replace(".js", ".H.js") if js.is_relative_specifier(r.url) else None)
    expected = (
        SOURCE.replace("'./a.js'", "'./a.H.js'")
        .replace('"./b.js"', '"./b.H.js"')
        .replace("'./c.js'", "'./c.H.js'")
        .replace("'./side-effect.js'", "'./side-effect.H.js'")
        .replace("'./d.js'", "'./d.H.js'")
    )
    assert out == expected


def test_rewrite_escapes_the_enclosing_quote_and_backslashes() -> None:
    text = "import \"./a.js\"; import './b.js';"
    out = js.rewrite(text, lambda r: "./it's\"x\\y.js")
    assert out == "import \"./it's\\\"x\\\\y.js\"; import './it\\'s\"x\\\\y.js';"


def test_rewrite_none_or_same_url_keeps_text() -> None:
    text = "import a from './a.js';\n"
    assert js.rewrite(text, lambda r: None) == text
    assert js.rewrite(text, lambda r: r.url) == text


def test_non_ascii_before_specifiers_gives_character_offsets() -> None:
    text = '// café ☕ 𝄞 — ünïcödé\nimport a from "./a.js";\nconst u = new URL("./img/😀.png", import.meta.url);\n'
    refs = js.references(text)
    assert [(text[r.start:r.end], r.line) for r in refs] == [("./a.js", 2), ("./img/😀.png", 3)]
    out = js.rewrite(text, lambda r: r.url + "?h")
    assert out == text.replace('"./a.js"', '"./a.js?h"').replace('"./img/😀.png"', '"./img/😀.png?h"')


# NUL is left out: tree-sitter's error recovery around a literal NUL can drop the next statement.
COMMENT_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00*/\\'\r\n\u2028\u2029"),
    max_size=30,
)
SPEC = st.text(alphabet=st.sampled_from(list("abcé😀ü-_./")), min_size=1, max_size=10).map(lambda s: "./" + s)


@settings(max_examples=100, deadline=None)
@given(COMMENT_TEXT, SPEC, SPEC)
def test_offsets_are_characters_after_arbitrary_text(prefix: str, first: str, second: str) -> None:
    text = f"/* {prefix} */ import a from '{first}';\nconst s = '{prefix}';\nimport('{second}');\n"
    refs = js.references(text)
    assert [r.url for r in refs] == [first, second]
    assert [text[r.start:r.end] for r in refs] == [first, second]
    assert [r.line for r in refs] == [1, 3]
    out = js.rewrite(text, lambda r: r.url + ".x")
    assert [r.url for r in js.references(out)] == [first + ".x", second + ".x"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("./a.js", True),
        ("../a.js", True),
        ("/a.js", True),
        ("lit", False),
        ("@scope/pkg", False),
        ("lit/decorators.js", False),
        ("https://cdn.example.com/x.js", False),
        (".", False),
        ("a.js", False),
    ],
)
def test_is_relative_specifier(url: str, expected: bool) -> None:
    assert js.is_relative_specifier(url) is expected


@pytest.mark.parametrize(("source", "unknown"), [
    ('import a from "./a.js";\nexport { b } from "../b.js";\nnew URL("./w.js", import.meta.url);', False),
    ('const m = await import("./x.js");\nconst n = import ( "./y.js" );', False),  # literals are followed
    ("const m = import(name);", True),
    ("const m = import(`./${name}.js`);", True),
    ('import "lit";', True),  # resolved by an import map
    ('// import( in a comment is no call\nimport "./a.js";', False),
    ("import /* a comment */ (name);\nimport\n// another\n(other);", True),
    ('import("./a.json", { with: { type: "json" } });', True),  # a second argument: not read as a reference
])
def test_a_module_may_import_more_than_it_names(source: str, unknown: bool):
    assert js.imports_unknown(source, js.references(source)) is unknown
