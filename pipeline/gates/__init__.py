"""CI gates: pure cores of ``gate:size`` (size budgets, wasm code breakdown) and ``gate:bench`` (benchmark
regressions). They read inputs and return JSON-able reports; the doit tasks do the I/O around them.

Exit codes shared by both gates (see :mod:`pipeline.gates.common`): 0 ok, 1 budget exceeded / regression,
2 tool or configuration error, 3 a budget matched nothing, 4 no benchmark baseline.
"""
