"""The event bus and spans: stamped events, isolated subscribers, parent/child ids, W3C traceparent."""

from __future__ import annotations

import logging
import re

import pytest

from pipeline.observe import events, spans


@pytest.fixture
def bus() -> events.Bus:
    return events.Bus()


@pytest.fixture(autouse=True)
def fresh_run():
    saved = list(spans._process_run)
    spans.end_run()
    yield
    spans._process_run[:] = saved


def test_every_event_carries_time_run_and_span(bus: events.Bus):
    seen: list[events.Event] = []
    bus.subscribe(seen.append)
    trace = spans.run_trace("run-1")
    spans.begin_run(trace)
    bus.emit(events.Event("custom"))
    (event,) = seen
    assert event.time > 1_600_000_000 and event.run_id == "run-1"
    assert event.trace_id == trace.trace_id and event.span_id == trace.root_id
    assert re.fullmatch(r"[0-9a-f]{32}", event.trace_id) and re.fullmatch(r"[0-9a-f]{16}", event.span_id)


def test_a_raising_subscriber_is_detached_with_one_warning_and_the_others_go_on(bus: events.Bus, caplog):
    calls: list[str] = []

    def broken(event: events.Event) -> None:
        calls.append("broken")
        raise ValueError("no disk")

    bus.subscribe(broken)
    bus.subscribe(lambda event: calls.append("healthy"))
    with caplog.at_level(logging.WARNING, logger="vango.events"):
        bus.emit(events.Event("one"))
        bus.emit(events.Event("two"))
    assert calls == ["broken", "healthy", "healthy"]
    warnings = [r for r in caplog.records if r.name == "vango.events"]
    assert len(warnings) == 1 and "broken raised ValueError: no disk" in warnings[0].getMessage()


def test_unsubscribe_stops_delivery(bus: events.Bus):
    seen: list[str] = []
    stop = bus.subscribe(lambda e: seen.append(e.kind))
    bus.emit(events.Event("a"))
    stop()
    bus.emit(events.Event("b"))
    assert seen == ["a"]


def test_spans_nest_and_are_recorded(monkeypatch: pytest.MonkeyPatch):
    seen: list[events.Event] = []
    monkeypatch.setattr(events, "BUS", events.Bus())
    events.subscribe(seen.append)
    trace = spans.run_trace("run-2")
    spans.begin_run(trace)
    with spans.recording() as recorded, spans.span("outer", size=3) as outer:
        with spans.span("inner") as inner:
            inner.set(**{"vango.files": 2})
        events.emit(events.Event("inside"))
    assert [r["name"] for r in recorded] == ["inner", "outer"]
    assert recorded[0]["parent_id"] == outer.span_id and recorded[1]["parent_id"] == trace.root_id
    assert recorded[0]["attributes"] == {"vango.files": 2} and recorded[1]["attributes"] == {"size": 3}
    assert all(r["end_ns"] >= r["start_ns"] for r in recorded)
    inside = next(e for e in seen if e.kind == "inside")
    assert inside.span_id == outer.span_id  # an event inside a span belongs to it
    assert [e.kind for e in seen].count(events.SPAN_STARTED) == 2


def test_a_failing_block_marks_its_span_and_raises():
    spans.begin_run(spans.run_trace("run-3"))
    with spans.recording() as recorded, pytest.raises(RuntimeError), spans.span("fails"):
        raise RuntimeError("compile error\nmore lines")
    assert recorded[0]["status"] == "error" and recorded[0]["error"] == "compile error"


@pytest.mark.parametrize("value", ["", "garbage", "00-" + "0" * 32 + "-00f067aa0ba902b7-01",
                                   "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",
                                   "00-4BF92F3577B34DA6A3CE929D0E0E473-00f067aa0ba902b7-01"])
def test_malformed_traceparents_are_ignored(value: str):
    assert spans.parse_traceparent(value) is None
    assert spans.run_trace("r", value).remote_parent == ""


def test_a_traceparent_makes_the_run_a_child_of_the_caller():
    trace = spans.run_trace("r", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert trace.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736" and trace.remote_parent == "00f067aa0ba902b7"
    # The same run id gives the same ids in every process (doit's workers); another run, other ids.
    assert trace == spans.run_trace("r", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert trace.task_span("css") == spans.run_trace("r", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                                                      ).task_span("css") != trace.task_span("js")
    assert spans.run_trace("r").trace_id != spans.run_trace("s").trace_id


def test_a_child_process_gets_the_current_span_as_its_traceparent():
    trace = spans.run_trace("run-4")
    spans.begin_run(trace)
    assert spans.carrier() == {"TRACEPARENT": f"00-{trace.trace_id}-{trace.root_id}-01"}
    with spans.span("go.build") as opened:
        assert spans.carrier() == {"TRACEPARENT": f"00-{trace.trace_id}-{opened.span_id}-01"}


def test_runs_that_share_a_run_id_still_get_ids_of_their_own():
    first, second = spans.run_trace("ci-42", seed="a"), spans.run_trace("ci-42", seed="b")
    assert first.trace_id != second.trace_id and first.root_id != second.root_id
    assert first.task_span("css") != second.task_span("css")


def test_an_unsampled_caller_is_respected():
    trace = spans.run_trace("r", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
    assert trace.sampled is False
    spans.begin_run(trace)
    with spans.recording() as recorded, spans.span("go.build"):
        assert spans.carrier()["TRACEPARENT"].endswith("-00")
    assert recorded[0]["sampled"] is False


def test_after_a_run_events_belong_to_no_run(bus: events.Bus):
    seen: list[events.Event] = []
    bus.subscribe(seen.append)
    spans.begin_run(spans.run_trace("over"))
    spans.end_run()
    bus.emit(events.Event("later"))
    assert seen[0].run_id == "" and seen[0].trace_id == "" and seen[0].span_id == ""


def test_a_span_marked_failed_without_raising_is_an_error():
    spans.begin_run(spans.run_trace("run-5"))
    with spans.recording() as recorded, spans.span("go.build") as opened:
        opened.fail("go build exited with 1")
    assert recorded[0]["status"] == "error" and recorded[0]["error"] == "go build exited with 1"
