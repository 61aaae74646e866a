"""Vango's production build pipeline: a doit task DAG that turns a Go/wasm app into a deployable dist/."""

__version__ = "0.1.0"
