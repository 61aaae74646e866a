"""pipeline.observe.textfile gives the bytes prometheus-client's ``generate_latest`` gives for the same gauges:
hostile label values, help texts and every kind of number. An upgrade that changed prometheus-client's
output fails here rather than in node_exporter."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from pipeline.observe import textfile

NUMBERS = [0, 1, -1, 0.5, 1e-9, 123456, 1234567, 12345678.9, 1.7e9 + 0.123, 1797000000.25, 2.5e300, -2.5e300,
           -12345678.0, 1e21, 3.14159, 100.0, 1e6, 1e7, math.inf, -math.inf, math.nan, 5e-324, 0.1 + 0.2]
LABEL_VALUES = ["plain", 'quo"te', "back\\slash", "new\nline", "carriage\rreturn", "tab\there", "ünïcode ✓",
                "", "{}=,", "\\n literal", "a\\\"b"]


def theirs(name: str, documentation: str, labels: list[str], samples: list[tuple[list[str], float]]) -> bytes:
    class One:
        def collect(self):
            family = GaugeMetricFamily(name, documentation, labels=labels)
            for values, value in samples:
                family.add_metric(values, value)
            return [family]

    registry = CollectorRegistry(auto_describe=False)
    registry.register(One())
    return generate_latest(registry)


@pytest.mark.parametrize("value", NUMBERS, ids=repr)
def test_numbers_print_as_prometheus_client_prints_them(value: float):
    assert textfile.gauge("vango_x", "x", (), [((), value)]) == theirs("vango_x", "x", [], [([], value)])


def test_label_values_and_help_are_escaped_the_same():
    labels = ["task", "status", "app"]  # not in sorted order: both sort by name
    samples = [([value, f"s{i}", value[::-1]], float(i)) for i, value in enumerate(LABEL_VALUES)]
    documentation = 'Help with a back\\slash, a "quote" and a\nnew line'
    ours = textfile.gauge("vango_y", documentation, labels, [(values, value) for values, value in samples])
    assert ours == theirs("vango_y", documentation, labels, samples)


def test_a_family_without_samples_is_its_header():
    assert textfile.gauge("vango_z", "z", ("gate",), []) == theirs("vango_z", "z", ["gate"], [])


def test_a_family_of_many_samples_prints_each_value_as_its_own():
    """The family's texts of repeated integers are reused: never for another value that compares equal."""
    values = [0.0, -0.0, 0, 1, 1.0, True, 7, 7, 1234567, 1234567.0, float("nan"), 3, -0.0, 0]
    samples = [([f"a{i}.js", "br" if i % 2 else "identity"], value) for i, value in enumerate(values)]
    ours = textfile.gauge("vango_w", "w", ("asset", "encoding"), [(v, value) for v, value in samples])
    assert ours == theirs("vango_w", "w", ["asset", "encoding"], samples)
