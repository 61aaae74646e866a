"""``release``, the publish step and the main job: the staged build becomes dist/ in one atomic swap.

Hashed files of the previous ``deploy.keep_releases`` releases are carried over (listed under
``retained`` in the manifest), so tabs still running an older version can fetch what they need.

It runs only after every other step succeeded (they are its dependencies), so a failing build never
touches dist/; with nothing changed it does not run at all and dist/ keeps its files and mtimes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets.asset_manifest import MANIFEST_NAME, dumps, served_files
from pipeline.assets.serverconf import retained_files
from pipeline.config.context import Context
from pipeline.core.dirswap import (
    clear_stale_staging,
    published_state,
    record_published,
    staging_dir,
    swap_into_place,
)
from pipeline.core.fs import write_atomic
from pipeline.core.jsonio import read_json_or_none
from pipeline.engine.step import Role, Step, StepResult, StepRun
from pipeline.steps.manifest import manifest_path


def publish_release(run: StepRun) -> StepResult:
    ctx = run.ctx
    dist = ctx.dist_dir
    dist.parent.mkdir(parents=True, exist_ok=True)
    clear_stale_staging(dist)
    staging = staging_dir(dist)
    manifest = json.loads(manifest_path(ctx).read_text(encoding="utf-8"))
    current = served_files(manifest)
    retained = retained_files(read_json_or_none(dist / MANIFEST_NAME), current, ctx.config.deploy.keep_releases)
    retained = {path: age for path, age in retained.items() if (dist / path).is_file()}
    before = published_state(ctx.build_dir, dist) or {}
    hashes = _hashes(manifest)
    made: set[str] = set()  # folders of staging made so far
    copied = [MANIFEST_NAME]  # what this publish wrote anew (a hard-linked file is the one already served)
    try:
        for relative in current:
            if relative == MANIFEST_NAME:  # written below: this release's, never the last one's
                continue
            if not _keep(dist, staging, relative, before.get(relative), hashes.get(relative), made):
                _copy(ctx.out_dir / relative, staging / relative)
                copied.append(relative)
        for relative in retained:
            if not _keep(dist, staging, relative, before.get(relative), None, made):
                _copy(dist / relative, staging / relative)
                copied.append(relative)
        if retained:
            manifest["retained"] = {path: {"releases_ago": age} for path, age in retained.items()}
            write_atomic(staging / MANIFEST_NAME, dumps(manifest))
        else:  # the index step's bytes as they are
            _copy(manifest_path(ctx), staging / MANIFEST_NAME)
        swap_into_place(staging, dist)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    record_published(ctx.build_dir, dist, [*current, *retained], known=before)
    return StepResult(written=tuple(dist / relative for relative in copied))


def _hashes(manifest: dict[str, Any]) -> dict[str, str]:
    """SHA-384 (hex) of every file the manifest lists, precompressed siblings included."""
    found = {}
    for asset in manifest["assets"].values():
        found[asset["path"]] = asset["hash"]
        for sibling in asset.get("encodings", {}).values():
            if sibling.get("hash"):
                found[sibling["path"]] = sibling["hash"]
    return found


def _keep(dist: Path, staging: Path, relative: str, published: Any, digest: str | None,
          made: set[str] | None = None) -> bool:
    """Hard-link a file of the current dist/ into staging when its bytes are the ones wanted (its hash as
    published, and untouched since: same size and mtime), so an unchanged file keeps its inode and mtime
    and deploy tools comparing them (rsync's quick check, ``aws s3 sync``) skip it. False: copy it.
    Runs for every file of every publish: string paths, and each folder of staging made once (``made``)."""
    if not published:
        return False
    size, mtime, published_digest = published[:3]
    ctime = published[3] if len(published) > 3 else None
    if ctime is None or (digest is not None and published_digest != digest):
        return False
    old, new = os.path.join(dist, relative), os.path.join(staging, relative)
    try:
        stat = os.stat(old)
        if stat.st_size != size or stat.st_mtime_ns != mtime or stat.st_ctime_ns != ctime:
            return False
        folder = os.path.dirname(new)
        if made is None or folder not in made:
            os.makedirs(folder, exist_ok=True)
            if made is not None:
                made.add(folder)
        os.link(old, new)
    except OSError:  # another file system, or links not supported: copy instead
        return False
    return True


def dist_intact(ctx: Context) -> Callable[[], bool]:
    """doit ``uptodate`` check: dist/ still holds what the last publish put there."""
    from pipeline.engine.checks import dist_intact as intact

    return intact(ctx.build_dir, ctx.dist_dir, ctx.logger)


def _copy(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)


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
