"""Go -> WebAssembly: ``wasm:compile`` builds ``app.wasm``; ``wasm:runtime`` adds the matching
``wasm_exec.js`` and the generated ``bootstrap.js`` loader, all three under hashed names."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipeline.config.context import Project
from pipeline.core.errors import PipelineError
from pipeline.engine.maps import emit, integrity_of
from pipeline.engine.tasks import action, settings_changed, step_task, written
from pipeline.observe import log, progress
from pipeline.wasm.bootstrap import render_bootstrap, template_paths
from pipeline.wasm.gomod import compiler_errors, go_inputs, module_root
from pipeline.wasm.toolchain import Toolchain, find_toolchain

CONTENT_STEP = "wasm"
WASM_NAME = "app.wasm"
RUNTIME_NAME = "wasm_exec.js"
BOOTSTRAP_NAME = "bootstrap.js"
# -s drops the name section; -w is a no-op on wasm; an empty build id and -trimpath make builds reproducible.
REPRODUCIBLE_LDFLAGS = ("-s", "-w", "-buildid=")


def toolchain(project: Project) -> Toolchain:
    return find_toolchain(project.config.go.toolchain, project.app_dir)


def wasm_path(project: Project) -> Path:
    return project.wasm_dir / WASM_NAME


def build_command(project: Project, tc: Toolchain, output: Path, *, strip: bool = True) -> list[str]:
    go = project.config.go
    ldflags = REPRODUCIBLE_LDFLAGS if strip else tuple(f for f in REPRODUCIBLE_LDFLAGS if f != "-s")
    cmd = [str(tc.go), "build", "-trimpath", "-buildvcs=false",
           "-ldflags=" + " ".join((*ldflags, *go.ldflags)), "-o", str(output)]
    if go.tags:
        cmd += ["-tags", ",".join(go.tags)]
    return [*cmd, "."]


@action
def compile_wasm(project: Project) -> list[Path]:
    return [go_build(project, wasm_path(project))]


def go_build(project: Project, target: Path, *, strip: bool = True) -> Path:
    """Compile the app to ``target`` (atomically); ``strip=False`` keeps the name section for size analysis."""
    tc = toolchain(project)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    cmd = build_command(project, tc, partial, strip=strip)
    log.get_logger("wasm").debug("running %s", " ".join(cmd))
    with progress.activity(f"Compiling Go -> wasm ({tc.version})"):
        proc = subprocess.run(cmd, cwd=project.main_dir, env=tc.env(module=module_root(project.main_dir)),
                              capture_output=True, text=True)
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        errors = compiler_errors(proc.stderr, project.main_dir) or [proc.stderr.strip() or "go build failed"]
        for extra in errors[1:]:
            log.get_logger("wasm").error("%s", extra)
        more = f" (and {len(errors) - 1} more, above)" if len(errors) > 1 else ""
        raise PipelineError(f"{errors[0]}{more}")
    partial.replace(target)
    return target


@action
def build_runtime(project: Project) -> list[str]:
    tc = toolchain(project)
    out = project.out_dir
    wasm_bytes = wasm_path(project).read_bytes()
    wasm = emit(out, WASM_NAME, wasm_bytes)
    runtime = emit(out, RUNTIME_NAME, tc.wasm_exec().read_bytes())
    algorithms = project.config.sri.algorithms
    loader = render_bootstrap(runtime_url=f"./{runtime.path}", runtime_integrity=integrity_of(runtime, out, algorithms),
                              wasm_url=f"./{wasm.path}", wasm_integrity=integrity_of(wasm, out, algorithms),
                              wasm_size=len(wasm_bytes), app_name=project.config.name)
    bootstrap = emit(out, BOOTSTRAP_NAME, loader)
    return written(project, CONTENT_STEP, [wasm, runtime, bootstrap])


def task_wasm(project: Project):
    """Go -> WebAssembly."""
    tc = toolchain(project)
    go = project.config.go
    inputs = go_inputs(tc, project.main_dir, go.tags)
    settings = {"go": str(tc.go), "goroot": str(tc.goroot), "version": tc.version, "tags": go.tags,
                "ldflags": go.ldflags, "main": str(project.main_dir.relative_to(module_root(project.main_dir)))}
    yield {
        "name": "compile",
        "doc": f"Compile the Go app to {WASM_NAME} (GOOS=js GOARCH=wasm, reproducible flags, {tc.version})",
        "actions": [(compile_wasm, [project])],
        "file_dep": [str(p) for p in inputs],
        "targets": [str(wasm_path(project))],
        "uptodate": [settings_changed(settings)],
        "clean": True,
        "verbosity": 2,
    }
    deps = [wasm_path(project), tc.wasm_exec(), *template_paths()]
    yield step_task(project, CONTENT_STEP, f"Hash {WASM_NAME}, add {RUNTIME_NAME} from the same toolchain and "
                    f"generate the {BOOTSTRAP_NAME} loader", build_runtime, file_dep=deps,
                    settings={**settings, "name": project.config.name, "sri": project.config.sri.algorithms},
                    name="runtime")
