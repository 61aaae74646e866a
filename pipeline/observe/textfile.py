"""Gauge families in the Prometheus text format (0.0.4), the format node_exporter's textfile collector reads.

Why not prometheus-client's ``generate_latest``: every run writes ``build/reports/metrics.prom``, a no-op run
too, and that function cannot be imported without prometheus-client's HTTP servers and clients
(``http.server``, ``urllib.request``, ``wsgiref``, ``ssl``): about 30 ms, a sixth of a no-op run. These
functions give the bytes ``generate_latest`` gives for gauges with legacy metric and label names (label
names sorted, label values and help escaped, values printed as Go prints them);
``tests/unit/test_textfile.py`` compares the two on hostile label values and every kind of number, so an
upgrade of prometheus-client that changed its output would fail there. prometheus-client still registers,
serves and pushes: the dev server's metrics and the Pushgateway use it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Sample = tuple[Sequence[str], float]


def number(value: float) -> str:
    """A sample value as Prometheus prints it (Go's ``strconv.FormatFloat(v, 'g', -1, 64)``): shortest
    round-trip digits, ``+Inf``/``-Inf``/``NaN``, and an exponent once a positive value has 7 integer
    digits, where Python's ``repr`` would still print them all."""
    value = float(value)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    text = repr(value)
    dot = text.find(".")
    if value > 0 and dot > 6:
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1:]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


def label_value(text: str) -> str:
    r"""A label value between double quotes: ``\``, newline and ``"`` escaped."""
    return text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def help_text(text: str) -> str:
    r"""A family's help: ``\`` and newline escaped (quotes stay)."""
    return text.replace("\\", r"\\").replace("\n", r"\n")


def header(name: str, documentation: str) -> str:
    """The ``# HELP`` and ``# TYPE`` lines of a gauge family."""
    return f"# HELP {name} {help_text(documentation)}\n# TYPE {name} gauge\n"


def gauge(name: str, documentation: str, labels: Sequence[str], samples: Iterable[Sample]) -> bytes:
    """A whole gauge family: its header, then one line a sample (its labels in the order of their names), in
    the order given. The order and each label's ``name="`` are worked out once per family, and each value's
    text once: the artifact family of a 10,000-file app has 15,000 samples, formatted on every run that
    publishes."""
    order = sorted(range(len(labels)), key=labels.__getitem__)
    heads = [(f'{labels[i]}="', i) for i in order]
    numbers: dict[int, str] = {}  # integers only: 0.0 and -0.0 are equal keys that print differently
    lines = [header(name, documentation)]
    for values, value in samples:
        if type(value) is int:
            text = numbers.get(value)
            if text is None:
                text = numbers[value] = number(value)
        else:
            text = number(value)
        if heads:
            inside = '",'.join(head + label_value(str(values[i])) for head, i in heads)
            lines.append(f'{name}{{{inside}"}} {text}\n')
        else:
            lines.append(f"{name} {text}\n")
    return "".join(lines).encode("utf-8")
