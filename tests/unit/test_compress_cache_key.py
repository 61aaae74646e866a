"""The precompression cache key names everything that made a result: a change to any of them is a miss."""

from __future__ import annotations

import zlib

import brotli
import pytest

from pipeline.steps.compress import producer_key


def test_the_key_is_stable_for_the_same_producer():
    assert producer_key("br", 11, "abc") == producer_key("br", 11, "abc")


def test_the_pipeline_fingerprint_level_and_encoder_are_in_the_key():
    base = producer_key("br", 11, "abc")
    assert producer_key("br", 11, "abd") != base
    assert producer_key("br", 10, "abc") != base
    assert producer_key("gzip", 11, "abc") != base


def test_a_library_upgrade_is_a_miss(monkeypatch: pytest.MonkeyPatch):
    brotli_key, gzip_key = producer_key("br", 11, "abc"), producer_key("gzip", 9, "abc")
    monkeypatch.setattr(brotli, "__version__", brotli.__version__ + ".post1")
    assert producer_key("br", 11, "abc") != brotli_key and producer_key("gzip", 9, "abc") == gzip_key
    monkeypatch.setattr(zlib, "ZLIB_RUNTIME_VERSION", zlib.ZLIB_RUNTIME_VERSION + "-next")
    assert producer_key("gzip", 9, "abc") != gzip_key


def test_the_pipeline_fingerprint_is_remembered_under_the_stat_of_its_files(tmp_path):
    from pipeline.engine.tasks import pipeline_fingerprint

    computed = pipeline_fingerprint.__wrapped__(None)
    assert pipeline_fingerprint.__wrapped__(tmp_path) == computed  # computed, then remembered
    (memo,) = tmp_path.glob("pipeline-*")
    assert memo.read_text() == computed
    memo.write_text("remembered")  # a second run reads the memo instead of the files
    assert pipeline_fingerprint.__wrapped__(tmp_path) == "remembered"
