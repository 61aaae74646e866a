"""The index step: ``asset-manifest.json``, every logical path with its served path, size, hash and encodings."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets.asset_manifest import MANIFEST_NAME, build_manifest, dumps, served_files, validate_manifest
from pipeline.assets.manifest_lines import lend
from pipeline.assets.unreferenced import size_text, unreferenced
from pipeline.config.context import Context
from pipeline.core.errors import PipelineError
from pipeline.core.fs import write_if_changed
from pipeline.core.jsonio import remember_document
from pipeline.engine.step import APP_ROLES, CONTENT_ROLES, Role, Step, StepResult, StepRun


def manifest_path(ctx: Context) -> Path:
    return ctx.out_dir / MANIFEST_NAME


def write_manifest(run: StepRun) -> StepResult:
    ctx = run.ctx
    files = run.known(*CONTENT_ROLES)
    if MANIFEST_NAME in files:
        raise PipelineError(f"'{MANIFEST_NAME}' is reserved for the asset manifest; rename that file")
    encodings: dict[str, dict[str, Any]] = {}
    for found in run.facts("encodings", Role.ENCODE):
        for name, by_encoding in found.items():
            encodings.setdefault(name, {}).update(by_encoding)
    manifest = build_manifest(ctx.config, files, encodings)
    target = manifest_path(ctx)
    previous = _previous(ctx, target)  # None, or the bytes of the last manifest this step wrote
    lent = lend(manifest, previous) if previous is not None else None
    # The schema checks each entry on its own: only the entries no line is lent for can have become invalid,
    # so a one-file edit of a 10,000-file app checks one entry, not 10,000.
    problems = validate_manifest(lent.changed(manifest) if lent is not None else manifest)
    if problems:
        raise PipelineError(f"internal error, the asset manifest is invalid: {problems[0]}")
    # References count from the app's own files, not from generated lists of every file (sw.js, _headers).
    app_files = run.known(*APP_ROLES)
    for record in unreferenced(app_files, lambda path: (ctx.out_dir / path).read_text(encoding="utf-8",
                                                                                      errors="replace")):
        ctx.logger.warning("%s (%s) is published but nothing in the app references it; if it is not meant to be "
                           "served, leave it out with publish.exclude", record.logical, size_text(record.size),
                           extra={"event": "publish.unreferenced"})
    data = dumps(manifest, lent)
    write_if_changed(target, data)
    remember_document(target, manifest)  # the publish reads it next
    write_if_changed(_digest_path(ctx), hashlib.sha256(data).hexdigest().encode("ascii"))
    _remove_stale(ctx, set(served_files(manifest)))
    return StepResult(written=(target,))


def _previous(ctx: Context, target: Path) -> bytes | None:
    """The bytes of the manifest this step wrote last, or None when the file is not those bytes (one changed
    by hand neither lends ``dumps`` its lines nor vouches for entries as checked)."""
    try:
        data = target.read_bytes()
    except OSError:
        return None
    return data if written_here(ctx, data) else None


def _digest_path(ctx: Context) -> Path:
    return ctx.build_dir / "steps" / "manifest.sha256"


def written_here(ctx: Context, data: bytes) -> bool:
    """Whether ``data`` are the bytes this step wrote last (their SHA-256 is kept beside its cache)."""
    try:
        return _digest_path(ctx).read_text(encoding="ascii") == hashlib.sha256(data).hexdigest()
    except (OSError, UnicodeDecodeError):
        return False


def _remove_stale(ctx: Context, keep: set[str]) -> None:
    """Drop outputs of earlier builds from build/out, so it holds exactly the next release. One ``scandir`` per
    folder (this runs for every file of every build): a file or link this release does not have is removed,
    then a folder left empty."""

    def clear(folder: str, prefix: str) -> bool:
        """Whether ``folder`` is empty once cleared."""
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:  # not a folder this pipeline can list: left as it is
            return False
        empty = True
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if clear(entry.path, relative + "/"):
                    os.rmdir(entry.path)
                else:
                    empty = False
            elif relative in keep:
                empty = False
            else:
                os.unlink(entry.path)
        return empty

    if ctx.out_dir.is_dir():
        clear(str(ctx.out_dir), "")


def manifest_settings(ctx: Context) -> dict[str, Any]:
    return {"name": ctx.config.name, "base": ctx.config.base, "entry": ctx.config.entry}


STEP = Step("manifest", Role.INDEX, f"Write {MANIFEST_NAME}: logical path -> hashed path, size, hash, integrity, "
            "encodings", write_manifest, settings=manifest_settings, target=manifest_path, outputs=(MANIFEST_NAME,))


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
