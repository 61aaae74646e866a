"""Where a docs build reads and writes: the source folder, the published site, and its build folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DocsPaths:
    source: Path  # the docs folder (markdown, images, docs.toml, _theme/)
    site: Path  # the published site (swapped in atomically)
    build: Path  # the doit database and the cached per-page results

    @classmethod
    def default(cls, source: Path, site: Path | None = None, build: Path | None = None) -> DocsPaths:
        source = source.resolve()
        return cls(source, (site or source.parent / "site").resolve(),
                   (build or Path.cwd() / "build" / "docs").resolve())

    def check(self) -> None:
        """Refuse layouts where publishing the site would replace or nest into the sources, or replace a folder
        that is not a site this pipeline made (the swap deletes the previous contents)."""
        from pipeline.core.dirswap import published_state
        from pipeline.core.errors import ConfigError

        for name, folder in (("the docs folder", self.source), ("the build folder", self.build)):
            if self.site == folder or folder.is_relative_to(self.site):
                raise ConfigError(f"the site folder {self.site} would contain {name}; choose another --site")
        for name, folder in (("site", self.site), ("build", self.build)):
            if folder.is_relative_to(self.source):
                raise ConfigError(f"the {name} folder {folder} is inside the docs folder {self.source}: its files "
                                  f"would become pages; choose another --{name if name == 'site' else 'build-dir'}")
        ours = published_state(self.build, self.site) is not None or (
            (self.site / "_headers").is_file() and (self.site / "_assets").is_dir())
        if self.site.is_dir() and any(self.site.iterdir()) and not ours:
            raise ConfigError(f"the site folder {self.site} exists and was not made by vango docs; publishing would "
                              "replace it: empty it or choose another --site")

    @property
    def db(self) -> Path:
        return self.build / "doit.sqlite3"

    @property
    def state(self) -> Path:
        return self.build / "pages.state"  # per-page cache: stat, hash, front matter, headings, links

    @property
    def fragments(self) -> Path:
        return self.build / "fragments"  # rendered markdown bodies, by content key

    @property
    def out(self) -> Path:
        """The whole site, unpublished and uncompressed: pages, the theme's hashed files (``_assets/``), the
        docs' own files and the search index (``pagefind/``). ``vango docs serve`` serves it as it is."""
        return self.build / "out"

    @property
    def html(self) -> Path:
        return self.out

    @property
    def assets_map(self) -> Path:
        return self.build / "assets.json"

    @property
    def pages_map(self) -> Path:
        return self.build / "pages.json"  # url -> output file and digest, static files: what the site holds

    @property
    def links(self) -> Path:
        return self.build / "links.json"  # every checked link and anchor (docs:check reads it)

    @property
    def search(self) -> Path:
        return self.out / "pagefind"

    @property
    def search_map(self) -> Path:
        return self.build / "search.json"

    @property
    def compressed(self) -> Path:
        return self.build / "compressed"  # .br/.gz by content hash, so unchanged files are never recompressed

    @property
    def published(self) -> Path:
        return self.build / "published.json"
