"""Which files of the web and public folders are published by default, and the include/exclude override."""

from __future__ import annotations

import pytest

from pipeline.core.publishing import verdict


@pytest.mark.parametrize("name", ["index.html", "css/app.css", ".well-known/security.txt", "img/logo.svg",
                                  "robots.txt", "data/go.json", "docs/vango.json.html"])
def test_ordinary_files_are_published(name: str):
    assert verdict(name).published


@pytest.mark.parametrize(("name", "warn"), [
    (".env", False), (".git/config", False), ("js/.eslintrc", False), (".vango/addons/x/y.py", False),
    ("main.go", False), ("internal/todo/todo.go", False), ("go.mod", False), ("go.sum", False),
    ("vango.json", False), ("addons.lock", False), ("doit.sqlite3", False), ("dodo.py", False),
    ("main.wasm", True), ("js/wasm_exec.js", True),
])
def test_what_never_belongs_on_a_server_is_left_out(name: str, warn: bool):
    decided = verdict(name)
    assert not decided.published and decided.reason and decided.warn is warn


def test_include_publishes_and_exclude_wins():
    assert verdict(".nojekyll", include=[".nojekyll"]).published
    assert verdict("models/tiny.wasm", include=["models/*.wasm"]).published
    assert verdict("samples/demo.go", include=["*.go"]).published  # no "/": any folder
    assert not verdict("drafts/post.html", exclude=["drafts/*"]).published
    assert not verdict("big.psd", exclude=["*.psd"]).published
    assert not verdict("x.wasm", include=["*.wasm"], exclude=["x.wasm"]).published
