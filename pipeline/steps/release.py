"""``release``, the publish step and the main job: the staged build becomes dist/ in one atomic swap.

Hashed files of the previous ``deploy.keep_releases`` releases are carried over (listed under
``retained`` in the manifest), so tabs still running an older version can fetch what they need.

It runs only after every other step succeeded (they are its dependencies), so a failing build never
touches dist/; with nothing changed it does not run at all and dist/ keeps its files and mtimes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets.asset_manifest import MANIFEST_NAME, dump_parts, served_files
from pipeline.assets.manifest_lines import entries, lend
from pipeline.assets.serverconf import retained_files, retained_of
from pipeline.config.context import Context
from pipeline.core.dirswap import (
    PublishedFiles,
    clear_stale_staging,
    record_published,
    served_state,
    staging_dir,
    swap_into_place,
    take_spare,
)
from pipeline.core.fs import copy_atomic, write_parts_atomic
from pipeline.core.jsonio import read_document, remember_document
from pipeline.engine.step import Role, Step, StepResult, StepRun
from pipeline.steps.manifest import manifest_path, written_here


def publish_release(run: StepRun) -> StepResult:
    ctx = run.ctx
    dist = ctx.dist_dir
    dist.parent.mkdir(parents=True, exist_ok=True)
    clear_stale_staging(dist)
    staging = staging_dir(dist)
    manifest = read_document(manifest_path(ctx))  # as the index step left it, in the same run
    current = served_files(manifest)
    before, intact = served_state(ctx.build_dir, dist) or ({}, None)
    retained = _retained(dist, current, ctx.config.deploy.keep_releases, intact)
    retained = {path: age for path, age in retained.items() if _relative(path) and (dist / path).is_file()}
    # The index step's bytes, to lend their asset lines to the manifest written with the retained files: read
    # before staging (a file that cannot be read is no spare to mend), dropped before the record is written.
    indexed = (manifest, manifest_path(ctx).read_bytes() if retained else b"")
    stage = _Stage(staging, dist, before, _hashes(manifest), intact)
    if os.path.lexists(staging) and not (os.path.isdir(staging) and not os.path.islink(staging)):
        os.unlink(staging)  # a file or link where this run's staging folder goes
    try:
        # What an earlier run of this pid left in its staging folder is mended like a spare, never trusted.
        if os.path.isdir(staging) or take_spare(dist, staging):
            try:
                stage.reuse()
                copied = _stage(ctx, stage, indexed, current, retained)
            except OSError:  # a spare changed by hand in a way this cannot mend: stage afresh
                shutil.rmtree(staging, ignore_errors=True)
                if os.path.lexists(staging):  # what could not be removed stays out of this release
                    staging = Path(tempfile.mkdtemp(dir=dist.parent, prefix=f".{dist.name}.staging-fresh-",
                                                    suffix=f"-{os.getpid()}"))
                stage = _Stage(staging, dist, before, stage.hashes, intact)
                copied = _stage(ctx, stage, indexed, current, retained)
        else:
            copied = _stage(ctx, stage, indexed, current, retained)
        swap_into_place(staging, dist, keep_spare=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    del indexed  # 20 MB at 50,000 assets
    record_published(ctx.build_dir, dist, [*current, *retained], known=before, stats=stage.unchanged)
    remember_document(dist / MANIFEST_NAME, _with_retained(manifest, retained))
    return StepResult(written=tuple(dist / relative for relative in copied))


def _stage(ctx: Context, stage: _Stage, indexed: tuple[dict[str, Any], bytes], current: list[str],
           retained: dict[str, int]) -> list[str]:
    """Put this release's files into staging; what it wrote anew (a file linked or kept is one already served).
    ``indexed``: the index step's manifest, parsed, and as bytes when there are retained files."""
    copied = [MANIFEST_NAME]
    settled = stage.settle(current)
    for relative in current:
        if relative == MANIFEST_NAME or relative in settled:  # the manifest is written below: this release's
            continue
        if not stage.keep(relative, stage.hashes.get(relative)):
            stage.copy(ctx.out_dir / relative, relative)
            copied.append(relative)
    for relative in retained:
        if not stage.keep(relative, None):
            stage.copy(ctx.dist_dir / relative, relative)
            copied.append(relative)
    if retained:
        manifest = _with_retained(indexed[0], retained)
        stage.vacate(MANIFEST_NAME)
        # the assets' lines: the index step's own, for its own block
        lent = lend(manifest, indexed[1], written_from=indexed[0]) if written_here(ctx, indexed[1]) else None
        write_parts_atomic(stage.root / MANIFEST_NAME, dump_parts(manifest, lent))
    else:  # the index step's bytes as they are
        stage.copy(manifest_path(ctx), MANIFEST_NAME)
    stage.sweep()
    return copied


class _Stage:
    """The staging folder of one publish: empty, or the spare release (the one before the current) being
    brought up to date. An unchanged file is hard-linked from dist/, so it keeps its inode and mtime and deploy
    tools comparing them (rsync's quick check, ``aws s3 sync``) skip it; in the spare it usually is that very
    file already, and stays. Nothing there is ever written into (it may be a link of a file dist/ serves): a
    new file is written beside it and renamed over it, and anything the release does not have is removed.
    String paths, each folder made once: this runs for every file of every publish."""

    def __init__(self, root: Path, dist: Path, published: Mapping[str, Any], hashes: dict[str, str],
                 intact: dict[str, int] | None = None):
        self.root, self.dist, self.published, self.hashes = root, dist, published, hashes
        # the inodes of the published files dist/ holds untouched (dirswap.served_state); None: stat each
        self.intact = intact
        self.present: dict[str, int] = {}  # the spare's files, links and other non-folders -> inode
        self.made: set[str] = set()  # folders known to exist
        self.placed: dict[str, str] = {}  # this release's paths, by their casefold (see sweep)
        # files left as they were: their size, mtime and ctime hold after the swap
        self.unchanged: dict[str, tuple[int, int, int]] = {}

    def reuse(self) -> None:
        """List the spare taken into staging: one ``scandir`` per folder, the inodes from its entries (a link to a
        folder is listed as an entry, never followed)."""
        pending = [""]
        while pending:
            folder = pending.pop()
            self.made.add(os.path.join(str(self.root), folder) if folder else str(self.root))
            with os.scandir(os.path.join(self.root, folder)) as entries:
                for entry in entries:
                    relative = f"{folder}/{entry.name}" if folder else entry.name
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(relative)
                    else:
                        self.present[relative] = entry.inode()

    def settle(self, current: list[str]) -> set[str]:
        """Leave as they are the files of ``current`` the spare already holds as dist/ serves them (the same
        inode, untouched since the publish, with the hash this release wants), and return them: what
        :meth:`keep` finds of each, for all at once, as set operations (most files of an edit's publish)."""
        if self.intact is None:
            return set()
        published = self.published
        if not isinstance(published, PublishedFiles):  # a record of an older layout (it has no inodes either)
            return set()
        shared = {path for path, _ in self.present.items() & self.intact.items()}
        shared.discard(MANIFEST_NAME)
        unchanged = published.unchanged(shared, self.hashes)
        settled = set(unchanged)
        self.unchanged.update(unchanged)
        self.placed.update({path.casefold(): path for path in current if path in settled})
        self.present = {path: inode for path, inode in self.present.items() if path not in settled}
        return settled

    def keep(self, relative: str, digest: str | None) -> bool:
        """Whether the file dist/ serves now is the one wanted (its hash as published, untouched since: the same
        size, mtime and ctime), now in staging too. False: the caller copies it."""
        published = self.published.get(relative)
        if not published:
            return False
        size, mtime, published_digest = published[:3]
        ctime = published[3] if len(published) > 3 else None
        if ctime is None or (digest is not None and published_digest != digest):
            return False
        if self.intact is not None:
            inode = self.intact.get(relative)
            if inode is None:
                return False
        else:
            try:
                served = os.stat(os.path.join(self.dist, relative))
            except OSError:
                return False
            if served.st_size != size or served.st_mtime_ns != mtime or served.st_ctime_ns != ctime:
                return False
            inode = served.st_ino
        self.placed[relative.casefold()] = relative
        if self.present.get(relative) == inode:  # the spare holds this very file (same folder tree)
            del self.present[relative]
            self.unchanged[relative] = (size, mtime, ctime)
            return True
        self.vacate(relative)  # paths joined only here: most files of a publish return above
        self._folder(relative)
        try:
            os.link(os.path.join(self.dist, relative), os.path.join(self.root, relative))
        except OSError:  # another file system, no hard links, or a name taken: copy (never into it) instead
            return False
        return True

    def copy(self, source: Path, relative: str) -> None:
        """``source``'s bytes at ``relative``: written to a new file beside it, then renamed over whatever is
        there, so no existing inode is written into."""
        self.vacate(relative)
        self._folder(relative)
        self.placed[relative.casefold()] = relative
        copy_atomic(source, Path(self.root, relative))

    def vacate(self, relative: str) -> None:
        """Remove what the spare has at ``relative``, so a new file never goes into an inode dist/ may serve."""
        if self.present.pop(relative, None) is not None:
            os.unlink(os.path.join(self.root, relative))

    def sweep(self) -> None:
        """Remove the spare's files this release does not have, then the folders left empty. On a file system
        that ignores case, a leftover ``App.js`` may be the entry this release wrote as ``app.js``: kept."""
        for relative in self.present:
            path = os.path.join(self.root, relative)
            with contextlib.suppress(OSError):
                if stat.S_ISDIR(os.lstat(path).st_mode):  # the name of a folder this release made (case aside)
                    continue
            alias = self.placed.get(relative.casefold())
            if alias is not None and alias != relative:
                with contextlib.suppress(OSError):
                    if os.path.samestat(os.lstat(path), os.lstat(os.path.join(self.root, alias))):
                        continue
            with contextlib.suppress(FileNotFoundError):  # a leftover temporary file renamed into place
                os.unlink(path)
        self.present.clear()
        for folder in sorted(self.made, key=len, reverse=True):
            if folder != str(self.root):
                with contextlib.suppress(OSError):
                    os.rmdir(folder)  # only when empty

    def _folder(self, relative: str) -> None:
        """The folders of ``relative`` in staging, as folders: anything else where one goes (a file, a link: a
        link to a folder would lead a write elsewhere, dist/ included) is removed first, whatever its name's
        case on a file system that ignores it."""
        folder = os.path.dirname(os.path.join(self.root, relative))
        if folder in self.made:
            return
        parts = relative.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            path = os.path.join(self.root, *parts[:depth])
            if path in self.made:
                continue
            try:
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    self.present.pop("/".join(parts[:depth]), None)
                    os.unlink(path)
            except FileNotFoundError:
                break  # this one and those below are made next
        os.makedirs(folder, exist_ok=True)
        self.made.add(folder)


def _with_retained(manifest: dict[str, Any], retained: dict[str, int]) -> dict[str, Any]:
    """The manifest dist/ gets: the index step's, with the older files it keeps, if any."""
    if not retained:
        return manifest
    return {**manifest, "retained": {path: {"releases_ago": age} for path, age in retained.items()}}


def _retained(dist: Path, current: list[str], keep: int, intact: dict[str, int] | None) -> dict[str, int]:
    """:func:`retained_files` of the manifest dist/ serves now. When it is the one the last publish wrote
    (untouched since: in ``intact``), its text is this pipeline's, one entry a line, and its entries are read a
    block of lines at a time (decoded whole, a 50,000-asset manifest is about 65 MB of dicts); otherwise, or
    when its text turns out to be of another shape, it is decoded whole, as a manifest edited by hand may be."""
    if keep <= 0:
        return {}
    manifest = dist / MANIFEST_NAME
    if intact is not None and MANIFEST_NAME in intact:
        try:
            data = manifest.read_bytes()
            return retained_of((entry for _, entry in entries(data, "assets")), entries(data, "retained"), current,
                               keep)
        except (OSError, ValueError):  # UnicodeDecodeError included
            pass
    try:
        published = read_document(manifest)
    except (OSError, ValueError):
        published = None
    return retained_files(published, current, keep)


def _relative(path: str) -> bool:
    """A path of the last manifest that stays inside dist/ (the manifest may have been edited by hand)."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and "\\" not in path and not {"", ".", ".."} & set(parts)


def _hashes(manifest: dict[str, Any]) -> dict[str, str]:
    """SHA-384 (hex) of every file the manifest lists, precompressed siblings included."""
    found = {}
    for asset in manifest["assets"].values():
        found[asset["path"]] = asset["hash"]
        for sibling in asset.get("encodings", {}).values():
            if sibling.get("hash"):
                found[sibling["path"]] = sibling["hash"]
    return found


def dist_intact(ctx: Context) -> Callable[[], bool]:
    """doit ``uptodate`` check: dist/ still holds what the last publish put there."""
    from pipeline.engine.checks import dist_intact as intact

    return intact(ctx.build_dir, ctx.dist_dir, ctx.logger)


def dist_manifest(ctx: Context) -> Path:
    return ctx.dist_dir / MANIFEST_NAME


def release_settings(ctx: Context) -> dict[str, Any]:
    return {"keep_releases": ctx.config.deploy.keep_releases}


STEP = Step("release", Role.PUBLISH, "Build the app and publish it to dist/ atomically (the main job)",
            publish_release, settings=release_settings, target=dist_manifest, config="deploy.keep_releases",
            uptodate=dist_intact)


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
