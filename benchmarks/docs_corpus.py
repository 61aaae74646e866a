"""A generated documentation corpus for the docs-site benchmarks: pages with headings, prose, code blocks in
several languages, tables and cross-links (to pages and to their headings), in nested sections, written once
in the form both ``vango docs`` and MkDocs read (markdown + YAML front matter), so each builds the same text."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "pipeline", "wasm", "build", "asset", "hash", "stylesheet", "module", "runtime", "service", "worker", "cache",
    "manifest", "budget", "gate", "trace", "metric", "span", "page", "section", "navigation", "search", "index",
    "theme", "template", "render", "link", "anchor", "deploy", "server", "browser", "compile", "stage", "publish",
    "swap", "integrity", "policy", "header", "compress", "brotli", "gzip",
)
CODE = {
    "go": ('package main\n\nimport "fmt"\n\nfunc main() {{\n\tfor i := 0; i < {n}; i++ {{\n'
           '\t\tfmt.Println("step", i)\n\t}}\n}}\n'),
    "js": ('export async function load(url) {{\n  const response = await fetch(url + "?v={n}");\n'
           '  return response.json();\n}}\n'),
    "toml": '[budgets]\n"*.wasm" = "{n} kB"\nprofile = "release"\n',
    "json": '{{\n  "name": "app{n}",\n  "entry": "index.html",\n  "pwa": {{"enabled": true}}\n}}\n',
    "shell": 'vango build --app examples/todo\ndoit gate:size  # {n}\n',
}


def _sentence(rng: random.Random, links: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    if links and rng.random() < 0.3:
        words.insert(rng.randint(0, len(words)), rng.choice(links))
    if rng.random() < 0.2:
        words.insert(rng.randint(0, len(words)), f"`{rng.choice(WORDS)}`")
    return " ".join(words).capitalize() + "."


def page_path(i: int, sections: int) -> str:
    """Sections of ten topics, each topic a folder of pages (100 pages per section at 1,000 pages)."""
    return f"section-{i % sections:02d}/topic-{(i // sections) % 10:02d}/page-{i:04d}.md"


def generate(root: Path, pages: int = 1000, seed: int = 7) -> Path:
    """Write ``pages`` pages under ``root/docs`` plus ``index.md``; returns the docs folder. Deterministic."""
    rng = random.Random(seed)
    docs = root / "docs"
    sections = max(1, min(10, pages // 20))
    paths = [page_path(i, sections) for i in range(pages)]
    (docs).mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("---\ntitle: Home\n---\n\n# Home\n\nThe generated corpus.\n")
    for i, rel in enumerate(paths):
        target = docs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        depth = rel.count("/")
        links = []
        for _ in range(3):
            j = rng.randrange(pages)
            href = "../" * depth + paths[j]
            links.append(f"[page {j}]({href})")
            links.append(f"[usage in {j}]({href}#usage)")
        parts = [f"---\ntitle: Page {i}\norder: {i}\ndescription: Generated page {i}\n---\n\n# Page {i}\n"]
        for h, heading in enumerate(("Overview", "Usage", "Configuration", "Details")):
            parts.append(f"## {heading}\n")
            for _ in range(2):
                parts.append(" ".join(_sentence(rng, links) for _ in range(4)) + "\n")
            lang = list(CODE)[(i + h) % len(CODE)]
            parts.append(f"```{lang}\n{CODE[lang].format(n=i)}```\n")
            if h == 2:
                rows = "\n".join(f"| `{rng.choice(WORDS)}` | {rng.randint(1, 900)} kB | {_sentence(rng, [])} |"
                                 for _ in range(5))
                parts.append(f"| key | size | notes |\n|---|---|---|\n{rows}\n")
            parts.append(f"### More on {heading.lower()}\n\n- {_sentence(rng, links)}\n- {_sentence(rng, [])}\n")
        target.write_text("\n".join(parts))
    return docs


def write_mkdocs_config(root: Path) -> Path:
    """A comparable MkDocs configuration: the built-in theme, tables, fenced code highlighted with Pygments
    (codehilite), heading permalinks and a table of contents, admonitions, footnotes, and its search index."""
    config = root / "mkdocs.yml"
    config.write_text("site_name: Corpus\nuse_directory_urls: true\ntheme:\n  name: mkdocs\n"
                      "markdown_extensions:\n  - tables\n  - fenced_code\n  - codehilite\n  - footnotes\n"
                      "  - admonition\n  - toc:\n      permalink: true\nplugins:\n  - search\n")
    return config


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1])
    generate(out, int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
    write_mkdocs_config(out)
