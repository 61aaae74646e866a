"""pipeline.assets.serverconf: header rules and the retention of earlier releases' files."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.assets.serverconf import IMMUTABLE, REVALIDATE, netlify_headers, nginx_snippet, retained_files


def assets() -> dict:
    return {
        "index.html": {"path": "index.html", "hashed": False, "type": "text/html"},
        "docs/index.html": {"path": "docs/index.html", "hashed": False, "type": "text/html"},
        "app.wasm": {"path": "app.0123456789abcdef.wasm", "hashed": True, "type": "application/wasm"},
        "_headers": {"path": "_headers", "hashed": False, "type": "text/plain"},
    }


def test_headers_per_file_and_folder_urls():
    text = netlify_headers(assets(), base="/app/", entry="index.html", csp="default-src 'self'")
    blocks = text.split("\n/")
    assert "/app/*\n  X-Content-Type-Options: nosniff" in text
    assert "  Content-Security-Policy: default-src 'self'" in text
    assert f"/app/app.0123456789abcdef.wasm\n  Cache-Control: {IMMUTABLE}\n  Content-Type: application/wasm" in text
    assert f"/app/\n  Cache-Control: {REVALIDATE}" in text
    assert f"/app/docs/\n  Cache-Control: {REVALIDATE}" in text
    assert not any(b.startswith("app/_headers") for b in blocks)


def test_nginx_snippet_uses_the_base_and_denies_its_own_files():
    conf = nginx_snippet(app="A", base="/app/", entry="index.html", csp=None)
    assert "location ~ ^/app/(_headers|nginx\\.conf)$ { return 404; }" in conf
    assert "try_files $uri $uri/ /app/index.html;" in conf
    assert "Content-Security-Policy" not in conf
    assert conf.count("{") == conf.count("}")


def test_retention_ages_and_expires_files():
    previous = {
        "assets": {"a.css": {"path": "a.1111111111111111.css", "hashed": True,
                             "encodings": {"br": {"path": "a.1111111111111111.css.br", "size": 1}}},
                   "index.html": {"path": "index.html", "hashed": False, "encodings": {}}},
        "retained": {"a.2222222222222222.css": {"releases_ago": 1}, "a.3333333333333333.css": {"releases_ago": 2}},
    }
    kept = retained_files(previous, current=["a.4444444444444444.css", "index.html"], keep=2)
    assert kept == {"a.1111111111111111.css": 1, "a.1111111111111111.css.br": 1, "a.2222222222222222.css": 2}
    still_used = ["a.1111111111111111.css", "a.1111111111111111.css.br"]
    assert retained_files(previous, current=still_used, keep=2) == {"a.2222222222222222.css": 2}
    assert retained_files(previous, current=[], keep=0) == {}
    assert retained_files(None, current=[], keep=2) == {}


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12))
def test_a_plain_path_is_left_as_quote_leaves_it(path: str) -> None:
    """``_url_paths`` skips ``quote`` for the paths it would leave alone; every path gets what quote gives."""
    from urllib.parse import quote

    from pipeline.assets.serverconf import _url_paths

    assert _url_paths("/", path, "index.html")[-1] == quote("/" + path, safe="/")
