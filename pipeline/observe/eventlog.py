"""The event log: the default subscriber of the event bus, turning every event into one log record (a line
of text, or of JSON). Subscribed once per process by :func:`pipeline.observe.log.setup`, so every entry point
(a build, ``vango dev`` before its first build, a broken configuration) logs its events the same way."""

from __future__ import annotations

import logging

from pipeline.observe import events, log

_HUMAN = {
    events.TASK_STARTED: ".  {task}",
    events.TASK_UPTODATE: "-- {task} (up to date)",
    events.TASK_IGNORED: "!! {task} (ignored)",
}


def log_event(event: events.Event) -> None:
    """Default subscriber: every event becomes one log record (a line of text or of JSON)."""
    logger = log.get_logger("events")
    extra = {"task": event.task, "event": event.kind, "fields": event.data, "run_id": event.run_id,
             "trace_id": event.trace_id or None, "span_id": event.span_id or None}
    if event.kind in _HUMAN:
        logger.info(_HUMAN[event.kind].format(task=event.task), extra=extra)
    elif event.kind == events.TASK_EXECUTED:
        files = event.data.get("files") or []
        noun = "file" if len(files) == 1 else "files"
        logger.info("ok %s  %.2fs, %d %s written", event.task, event.data["duration_s"], len(files), noun,
                    extra=extra)
    elif event.kind == events.TASK_FAILED:
        logger.error("%s failed: %s", event.task, event.data["error"], extra=extra)
        if event.data.get("traceback"):
            logger.error("internal error in the pipeline (please report it):\n%s", event.data["traceback"],
                         extra=extra)
    elif event.kind == events.RUN_FINISHED:
        d = event.data
        summary = f"{d['executed']} executed, {d['uptodate']} up to date, {d['duration_s']:.2f}s"
        if d["ok"]:
            logger.info("done: %s", summary, extra=extra)
        else:
            for err in d.get("errors", []):
                logger.error("%s", err.strip(), extra=extra)
            output = d.get("output", "dist/")
            where = f"{output} was published" if d.get("published") else f"{output} was left as it was"
            logger.error("failed (%s); %s", summary, where, extra=extra)
    elif event.kind == events.RUN_WAITING:
        logger.info("waiting for the other run in %s (pid %s) to finish", event.data["folder"], event.data["pid"],
                    extra=extra)
    elif event.kind == events.DEV_SERVING:
        logger.info("serving %s (DevTools: %s)", event.data["url"], event.data["devtools"], extra=extra)
    elif event.kind == events.WATCH_READY:
        logger.info("watching %d files in %d folders", event.data["files"], event.data["folders"], extra=extra)
    elif event.kind == events.WATCH_BUILD:
        d = event.data
        logger.log(logging.INFO if d["ok"] else logging.WARNING, "build %d %s in %.2fs", d["id"],
                   "ok" if d["ok"] else "failed", d["duration_s"], extra=extra)
    elif event.kind == events.SPAN_FINISHED:
        if event.data.get("replayed"):
            return  # its first telling was logged
        logger.debug("span %s %.3fs", event.data.get("name"), event.data.get("duration_s", 0.0), extra=extra)
    elif event.kind not in _QUIET:
        logger.debug("%s", event.kind, extra=extra)


_QUIET = {events.SPAN_STARTED, events.HTTP_REQUEST, events.LIVE_CLIENTS, events.PATCH_SENT, events.WATCH_STARTED}


_subscribed: list[bool] = []


def subscribe_once() -> None:
    if not _subscribed:
        events.subscribe(log_event)
        _subscribed.append(True)
