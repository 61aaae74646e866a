"""Go -> WebAssembly: ``wasm:compile`` builds ``app.wasm``; ``wasm:runtime`` adds the matching
``wasm_exec.js`` and the generated ``bootstrap.js`` loader, all three under hashed names."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets import minify
from pipeline.config.context import Context
from pipeline.core.errors import PipelineError
from pipeline.engine.maps import OutputFile, emit, integrity_of
from pipeline.engine.step import Role, Step, StepRun
from pipeline.engine.tasks import run_step, settings_changed
from pipeline.observe import spans
from pipeline.wasm.bootstrap import render_bootstrap, template_paths
from pipeline.wasm.gomod import compiler_errors, go_inputs, module_root
from pipeline.wasm.toolchain import Toolchain

WASM_NAME = "app.wasm"
RUNTIME_NAME = "wasm_exec.js"
BOOTSTRAP_NAME = "bootstrap.js"
# -s drops the name section; -w is a no-op on wasm; an empty build id and -trimpath make builds reproducible.
REPRODUCIBLE_LDFLAGS = ("-s", "-w", "-buildid=")


def toolchain(ctx: Context) -> Toolchain:
    return ctx.toolchain()


def wasm_path(ctx: Context) -> Path:
    return ctx.wasm_dir / WASM_NAME


def build_command(ctx: Context, tc: Toolchain, output: Path, *, strip: bool = True) -> list[str]:
    go = ctx.config.go
    ldflags = REPRODUCIBLE_LDFLAGS if strip else tuple(f for f in REPRODUCIBLE_LDFLAGS if f != "-s")
    cmd = [str(tc.go), "build", "-trimpath", "-buildvcs=false",
           "-ldflags=" + " ".join((*ldflags, *go.ldflags)), "-o", str(output)]
    if go.tags:
        cmd += ["-tags", ",".join(go.tags)]
    return [*cmd, "."]


def compile_wasm(run: StepRun) -> Any:
    from pipeline.engine.step import StepResult

    return StepResult(written=(go_build(run.ctx, wasm_path(run.ctx)),))


def go_build(ctx: Context, target: Path, *, strip: bool = True) -> Path:
    """Compile the app to ``target`` (atomically); ``strip=False`` keeps the name section for size analysis."""
    tc = toolchain(ctx)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")  # concurrent builds never share it
    cmd = build_command(ctx, tc, partial, strip=strip)
    ctx.logger.debug("running %s", " ".join(cmd))
    with spans.span("go.build", display=f"Compiling Go -> wasm ({tc.version})", **{
            "vango.go.version": str(tc.version), "vango.go.target": "js/wasm", "vango.go.stripped": strip}) as step:
        proc = subprocess.run(cmd, cwd=ctx.main_dir, env=tc.env(module=module_root(ctx.main_dir)),
                              capture_output=True, text=True)
        step.set(**{"process.exit_code": proc.returncode})
        if proc.returncode:
            step.fail(f"go build exited with {proc.returncode}")
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        errors = compiler_errors(proc.stderr, ctx.main_dir) or [proc.stderr.strip() or "go build failed"]
        for extra in errors[1:]:
            ctx.logger.error("%s", extra)
        more = f" (and {len(errors) - 1} more, above)" if len(errors) > 1 else ""
        raise PipelineError(f"{errors[0]}{more}")
    partial.replace(target)
    return target


def build_runtime(run: StepRun) -> list[OutputFile]:
    ctx = run.ctx
    tc = toolchain(ctx)
    out = ctx.out_dir
    wasm_bytes = wasm_path(ctx).read_bytes()
    wasm = emit(out, WASM_NAME, wasm_bytes)
    minified = ctx.config.minify.js
    runtime_bytes = tc.wasm_exec().read_bytes()
    if minified:
        runtime_bytes = minify.js_keeping_notice(runtime_bytes.decode("utf-8")).encode("utf-8")
    runtime = emit(out, RUNTIME_NAME, runtime_bytes)
    algorithms = ctx.config.sri.algorithms
    loader = render_bootstrap(runtime_url=f"./{runtime.path}", runtime_integrity=integrity_of(runtime, out, algorithms),
                              wasm_url=f"./{wasm.path}", wasm_integrity=integrity_of(wasm, out, algorithms),
                              wasm_size=len(wasm_bytes), app_name=ctx.config.name)
    return [wasm, runtime, emit(out, BOOTSTRAP_NAME, minify.generated_script(loader, minified))]


def go_settings(ctx: Context) -> dict[str, Any]:
    tc, go = toolchain(ctx), ctx.config.go
    return {"go": str(tc.go), "goroot": str(tc.goroot), "version": tc.version, "tags": go.tags,
            "ldflags": go.ldflags, "main": str(ctx.main_dir.relative_to(module_root(ctx.main_dir)))}


def runtime_settings(ctx: Context) -> dict[str, Any]:
    return {**go_settings(ctx), "name": ctx.config.name, "sri": ctx.config.sri.algorithms,
            "minify": minify.task_settings(ctx.config.minify.js)}


def runtime_inputs(ctx: Context) -> list[Path]:
    return [toolchain(ctx).wasm_exec(), *template_paths()]


COMPILE = Step("wasm", Role.PAGE_ASSET, "", compile_wasm, subtask="compile", config="go", target=wasm_path)


def compile_task(ctx: Context) -> Iterator[dict[str, Any]]:
    """``wasm:compile``: its own task (not a content step), so a CSS edit never reaches the Go compiler."""
    tc = toolchain(ctx)
    yield {
        "name": "compile",
        "doc": f"Compile the Go app to {WASM_NAME} (GOOS=js GOARCH=wasm, reproducible flags, {tc.version})",
        "actions": [(run_step, [ctx, COMPILE, (), (), ()])],
        "file_dep": [str(p) for p in go_inputs(tc, ctx.main_dir, ctx.config.go.tags,
                                               memo=ctx.build_dir / "go-inputs.json")],
        "targets": [str(wasm_path(ctx))],
        "uptodate": [settings_changed(ctx, go_settings(ctx))],
        "clean": True,
        "verbosity": 2,
    }


STEP = Step("wasm", Role.PAGE_ASSET, f"Hash {WASM_NAME}, add {RUNTIME_NAME} from the same toolchain and generate the "
            f"{BOOTSTRAP_NAME} loader", build_runtime, inputs=runtime_inputs, settings=runtime_settings,
            config="go", outputs=(WASM_NAME, RUNTIME_NAME, BOOTSTRAP_NAME), prepare=compile_task, prepares=("compile",),
            subtask="runtime")


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
