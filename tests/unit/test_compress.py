"""pipeline.assets.compression: deterministic brotli/gzip and which files are worth compressing."""

from __future__ import annotations

import gzip
import itertools
import os
import struct
import zlib

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.assets import compression as compress

TEXT = b"body { color: red; }\n" * 500


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=4096), st.integers(min_value=0, max_value=5))
def test_brotli_round_trips(data: bytes, quality: int) -> None:
    assert brotli.decompress(compress.brotli_bytes(data, quality=quality)) == data


def test_brotli_default_quality_compresses_text_and_round_trips() -> None:
    out = compress.brotli_bytes(TEXT)
    assert len(out) < len(TEXT) // 10
    assert brotli.decompress(out) == TEXT


def test_brotli_handles_wasm_and_empty_input() -> None:
    wasm = b"\0asm\x01\0\0\0" + os.urandom(2000)
    assert brotli.decompress(compress.brotli_bytes(wasm, quality=5)) == wasm
    assert brotli.decompress(compress.brotli_bytes(b"")) == b""


def test_brotli_is_deterministic() -> None:
    assert compress.brotli_bytes(TEXT, quality=9) == compress.brotli_bytes(TEXT, quality=9)


def test_brotli_progress_reports_increasing_counts_ending_at_length() -> None:
    data = (b"0123456789abcdef" * 40000) + b"tail"  # 640004 bytes: three chunks of 256 KiB
    seen: list[int] = []
    out = compress.brotli_bytes(data, quality=1, progress=seen.append)
    assert brotli.decompress(out) == data
    assert len(seen) >= 2
    assert all(a < b for a, b in itertools.pairwise(seen))
    assert all(0 < n <= len(data) for n in seen)
    assert seen[-1] == len(data)
    assert seen[0] == 256 * 1024


def test_brotli_progress_for_small_input_ends_at_length() -> None:
    seen: list[int] = []
    compress.brotli_bytes(b"small", quality=1, progress=seen.append)
    assert seen == [5]


@given(st.binary(max_size=4096), st.integers(min_value=1, max_value=9))
def test_gzip_round_trips(data: bytes, level: int) -> None:
    assert gzip.decompress(compress.gzip_bytes(data, level=level)) == data


def test_gzip_is_deterministic_with_zero_mtime_and_no_file_name() -> None:
    first = compress.gzip_bytes(TEXT)
    second = compress.gzip_bytes(TEXT)
    assert first == second
    magic, method, flags, mtime = struct.unpack("<HBBI", first[:8])
    assert magic == 0x8B1F and method == 8
    assert flags & 0x08 == 0  # FNAME
    assert flags & 0x10 == 0  # FCOMMENT
    assert mtime == 0
    # the payload after the 10-byte header is a raw deflate stream of the data
    assert zlib.decompressobj(-15).decompress(first[10:]) == TEXT
    assert struct.unpack("<II", first[-8:]) == (zlib.crc32(TEXT), len(TEXT))


def test_gzip_level_changes_effort_but_not_content() -> None:
    data = os.urandom(64) + TEXT
    fast, best = compress.gzip_bytes(data, level=1), compress.gzip_bytes(data, level=9)
    assert gzip.decompress(fast) == gzip.decompress(best) == data
    assert len(best) <= len(fast)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("index.html", True),
        ("css/app.css", True),
        ("js/app.JS", True),
        ("main.wasm", True),
        ("site.webmanifest", True),
        ("img/logo.svg", True),
        ("favicon.ico", True),
        ("data.json", True),
        ("img/photo.png", False),
        ("img/photo.jpg", False),
        ("img/photo.webp", False),
        ("fonts/a.woff2", False),
        ("app.js.gz", False),
        ("app.js.br", False),
        ("README", False),
        ("dir.css/file", False),
    ],
)
def test_is_compressible(path: str, expected: bool) -> None:
    assert compress.is_compressible(path) is expected
