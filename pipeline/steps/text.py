"""Stylesheets and JS modules: rewrite references, then name each file by its final bytes.

CSS and JS differ only in their rewriter and in which references they leave alone, so both steps
share this code.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from pipeline.assets.linker import Linked, first_cycle, link
from pipeline.assets.minify import MinifyError, task_settings
from pipeline.assets.minify import versions as minifiers
from pipeline.assets.resolve import local_target, resolver
from pipeline.assets.rewrite import Reference
from pipeline.config.context import Context
from pipeline.core.errors import PipelineError
from pipeline.core.fs import logical
from pipeline.core.lazy import lazy_module
from pipeline.engine.maps import OutputFile, emit
from pipeline.engine.step import StepRun
from pipeline.observe import spans
from pipeline.steps.textcache import TextCache, digest

cssbundle = lazy_module("pipeline.assets.rewrite.cssbundle")  # tinycss2 loads when stylesheets are built


def open_cache(run: StepRun) -> TextCache:
    """The step's per-file cache (see :mod:`pipeline.steps.textcache`); save it when the step is done."""
    from pipeline.engine.tasks import fingerprint

    ctx = run.ctx
    return TextCache(ctx.build_dir / "steps" / f"{run.step.name}.json", fingerprint(ctx), ctx.out_dir)


def build_text_assets(run: StepRun, rewriter: ModuleType, skip: Callable[[Reference], bool] | None = None,
                      cycles: str = "", bundle: bool = False, minify: Callable[[str], str] | None = None,
                      cache: TextCache | None = None, graph: dict[str, list[str]] | None = None,
                      unknown: set[str] | None = None, digests: dict[str, str] | None = None) -> list[OutputFile]:
    """Rewrite and hash the step's claimed files (all of one kind) against the outputs of the steps before it;
    ``minify`` (release builds) runs on each file's final text, before it is hashed. A file whose source and
    resolved references are those of the last run reuses its final text (``cache``; the caller saves a cache
    it passes, else it is saved here). ``graph`` gets, for each file, the files of this step it references, and
    ``unknown`` the files that may reference others too (``rewriter.imports_unknown``, for JS modules), and
    ``digests`` each source's SHA-256 by name, for a caller that keys results of its own by them (it reads a
    text through the cache, ``source_text``, so that no file is read twice and an unchanged one not at all)."""
    ctx = run.ctx
    web, base = ctx.web_dir, ctx.config.base
    known = run.known()
    owned = cache is None
    cache = cache or open_cache(run)
    paths = {logical(p, web): p for p in run.sources}
    shas = {name: cache.source(name, path) for name, path in paths.items()}  # reads only what changed
    if digests is not None:
        digests.update(shas)

    def text_of(name: str) -> str:
        return cache.source_text(name, paths[name])

    def references(name: str) -> list[Reference]:
        return cache.references_of(shas[name], lambda: text_of(name), rewriter.references)

    refs = {name: [r for r in references(name) if not (skip and skip(r))] for name in paths}
    targets = {name: [local_target(r, name, base) for r in rs] for name, rs in refs.items()}
    deps = {name: {t for t in ts if t in paths} for name, ts in targets.items()}
    if graph is not None:
        graph.update({name: sorted(targets) for name, targets in deps.items()})
    if unknown is not None:
        def opens(name: str) -> bool:  # remembered by the text's hash: a parse per changed file, not per file
            return bool(cache.memo(f"unknown:{shas[name]}",
                                   lambda: rewriter.imports_unknown(text_of(name), references(name))))

        unknown.update(name for name in paths if opens(name))
    if cycles:  # a kind whose imports may not form a cycle (stylesheets): name it
        cycle = first_cycle(paths, deps)
        if cycle:
            line = next((r.line for r in refs[cycle[0]] if local_target(r, cycle[0], base) == cycle[1]), None)
            raise PipelineError(f"{cycles} cycle: {' -> '.join(cycle)}; a stylesheet cannot import itself, even "
                                "through others", path=paths[cycle[0]], location=line)

    def lookup_in(names: dict[str, str]) -> Callable[[str], str | None]:
        def lookup(target: str) -> str | None:
            if target in names:
                return names[target]
            return known[target].path if target in known else None

        return lookup

    def render(name: str, names: dict[str, str], at: str | None = None) -> str:
        """``name`` with its references rewritten (relative to ``at`` when it is inlined into ``at``); with
        ``bundle``, its own local ``@import`` rules replaced by the imported rules."""
        lookup = lookup_in(names)
        at = at or name
        new_url = resolver(name, paths[name], lookup, base=base, web_dir=web, skip=skip)
        if at != name:
            new_url = relocated(new_url, name, at, lookup, base)
        text = rewriter.rewrite(text_of(name), new_url, refs[name])
        if not bundle or not deps[name]:  # nothing of this kind to inline
            return text
        replacements = {}
        for source_rule, rule in zip(cssbundle.import_rules(text_of(name)), cssbundle.import_rules(text),
                                     strict=False):
            target = local_target(Reference(source_rule.url, 0, 0, 0, "import"), name, base)
            if target in paths:
                inner = cssbundle.without_charset(render(target, names, at))
                replacements[rule.start] = cssbundle.wrapped(rule, f"/* {target} */\n{inner}")
        return cssbundle.inline(text, replacements)

    settings = [rewriter.__name__, bundle, getattr(minify, "__qualname__", None), minifiers(), base]
    settings_key = digest(settings)
    keys: dict[str, str] = {}

    def key_of(name: str, names: dict[str, str]) -> str | None:
        """Everything the final text depends on; None when it also holds inlined imports (not cached)."""
        if bundle and deps[name]:
            return None
        lookup = lookup_in(names)
        # What the key depends on besides the name and the text: the served path of each reference's target
        # (a reference's rewritten URL is its own text with that path's file name) and the settings.
        parts = [shas[name], [lookup(t) if t is not None else None for t in targets[name]], settings_key]
        key = cache.fast_key(name, parts)
        if key is None:
            new_url = resolver(name, paths[name], lookup, base=base, web_dir=web, skip=skip)
            # The name too: two files with the same text and references have the same final bytes but not
            # the same served path.
            key = digest(name, shas[name], [(r.url, r.start, r.end, r.kind, new_url(r)) for r in refs[name]],
                         settings)
            cache.remember_key(name, parts, key)
        keys[name] = key
        return key

    def reuse(name: str, names: dict[str, str]) -> Linked | None:
        key = key_of(name, names)
        found = cache.written(key) if key is not None else None
        return Linked(name, found[0], None, found[1]) if found is not None else None

    def final(name: str, names: dict[str, str]) -> str:
        key = key_of(name, names)
        if key is not None:
            cached = cache.text(key)
            if cached is not None:
                return cached
        text = render(name, names)
        if minify is None:
            return text
        try:
            return minify(text)
        except MinifyError as exc:
            raise PipelineError(f"{exc}: the release build cannot minify this file (a syntax error?)",
                                path=paths[name], location=exc.line) from None

    with spans.span("text.rewrite", **{"vango.step": run.step.name, "vango.files": len(paths)}) as measured:
        linked = link(paths.keys(), deps, final, reuse)
        measured.set(**{"vango.parsed": cache.parsed, "vango.reused": cache.reused, "vango.read": cache.read})
    outputs = [OutputFile.from_fingerprint(item.logical, item.path, item.fingerprint) if item.data is None
               else emit(ctx.out_dir, item.logical, item.data, fp=item.fingerprint, path=item.path)
               for item in linked.values()]
    for item in linked.values():
        if item.logical in keys and item.data is not None:
            cache.remember_text(keys[item.logical], item.path, item.fingerprint)
    if owned:
        cache.save()
    return outputs


def relocated(new_url: Callable[[Reference], str | None], name: str, at: str, lookup: Callable[[str], str | None],
              base: str) -> Callable[[Reference], str | None]:
    """References of ``name`` rewritten for a copy of its text inside ``at`` (another folder, perhaps):
    relative URLs are made relative to ``at``; absolute ones stay as they are."""
    import posixpath
    from urllib.parse import quote, unquote

    from pipeline.core import urls

    def relative(ref: Reference) -> str | None:
        url = new_url(ref)  # checks the reference and gives its served name
        if url is None or not urls.is_local(ref.url) or ref.url.strip().startswith("/"):
            return url
        target = local_target(ref, name, base)
        served = lookup(target) if target else None
        if served is None:
            return url
        _, rest = urls.split(url)
        path = posixpath.relpath(served, posixpath.dirname(at) or ".")
        if unquote(ref.url) != ref.url:
            path = quote(path, safe="/!$&'()*+,;=:@~")
        return path + rest

    return relative


def base_settings(ctx: Context) -> dict[str, Any]:
    return {"base": ctx.config.base, "minify": task_settings(ctx.config.minify)}
