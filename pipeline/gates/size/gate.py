"""``gate:size``, a built-in addon: the gate of :mod:`pipeline.gates.size.sizegate` through the gate protocol."""

from __future__ import annotations

from pipeline.addons.hookspecs import hookimpl
from pipeline.gates.protocol import Gate
from pipeline.gates.size.sizegate import BUDGETS_NAME, SizeGate, explain_wasm, find_budgets

__all__ = ["BUDGETS_NAME", "GATE", "SizeGate", "explain_wasm", "find_budgets", "vango_gates"]

GATE = SizeGate()


@hookimpl
def vango_gates() -> list[Gate]:
    return [GATE]
