"""Header logic of the dev server: Accept-Encoding with q-values, navigations, Origin and Host checks."""

from __future__ import annotations

import pytest

from pipeline.dev.server.negotiate import (
    accepts_html,
    choose_encoding,
    host_allowed,
    origin_matches_host,
    parse_qlist,
    split_host,
)

BOTH = ("br", "gzip")


@pytest.mark.parametrize(("header", "available", "expected"), [
    ("gzip, deflate, br, zstd", BOTH, "br"),  # what Chromium sends
    ("br", BOTH, "br"),
    ("gzip", BOTH, "gzip"),
    ("gzip;q=1.0, br;q=0.5", BOTH, "gzip"),
    ("br;q=0, gzip", BOTH, "gzip"),
    ("BR;Q=0, GZIP", BOTH, "gzip"),
    ("br;q=0, gzip;q=0", BOTH, "identity"),
    ("*", BOTH, "br"),
    ("*;q=0.5, br;q=0", BOTH, "gzip"),
    ("*;q=0", BOTH, "identity"),  # nothing acceptable: the file as is, not a 406
    ("identity", BOTH, "identity"),
    ("identity;q=1, br;q=0.3", BOTH, "identity"),
    ("identity, br", BOTH, "br"),
    ("", BOTH, "identity"),
    (None, BOTH, "identity"),
    ("br;q=abc, gzip", BOTH, "gzip"),  # a garbled q refuses rather than accepts
    ("br, gzip", ("gzip",), "gzip"),
    ("br", ("gzip",), "identity"),
    ("br, gzip", (), "identity"),
    (" br ; q=0.9 ,gzip;q=0.9", BOTH, "br"),  # ties go to br
])
def test_choose_encoding(header, available, expected):
    assert choose_encoding(header, available) == expected


def test_parse_qlist_keeps_the_best_q_per_name():
    assert parse_qlist("br;q=0.2, gzip, br;q=0.7, ;q=1, x;q=7") == {"br": 0.7, "gzip": 1.0, "x": 1.0}


@pytest.mark.parametrize(("accept", "navigation"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", True),
    ("text/html", True),
    ("*/*", False),  # fetch(), curl
    ("text/css,*/*;q=0.1", False),
    ("application/json", False),
    ("text/html;q=0", False),
    (None, False),
])
def test_accepts_html(accept, navigation):
    assert accepts_html(accept) is navigation


@pytest.mark.parametrize(("value", "expected"), [
    ("127.0.0.1:8000", ("127.0.0.1", 8000)),
    ("LocalHost", ("localhost", None)),
    ("example.com.:443", ("example.com", 443)),
    ("[::1]:8000", ("::1", 8000)),
    ("[::1]", ("::1", None)),
    ("host:", ("host", None)),
])
def test_split_host(value, expected):
    assert split_host(value) == expected


@pytest.mark.parametrize("value", ["127.0.0.1:http", "[::1]x", "[::1]:8o"])
def test_split_host_refuses_bad_values(value):
    with pytest.raises(ValueError):
        split_host(value)


@pytest.mark.parametrize(("origin", "host", "allowed"), [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
    ("http://LOCALHOST:8000", "localhost:8000", True),
    ("http://localhost", "localhost:80", True),
    ("http://localhost:80", "localhost", True),
    ("https://dev.example:443", "dev.example", True),
    ("http://[::1]:8000", "[::1]:8000", True),
    (None, "127.0.0.1:8000", True),  # non-browser client: browsers always send Origin
    ("http://127.0.0.1:8001", "127.0.0.1:8000", False),  # another local app
    ("http://localhost:8000", "127.0.0.1:8000", False),
    ("https://evil.example", "127.0.0.1:8000", False),
    ("http://127.0.0.1.evil.example:8000", "127.0.0.1:8000", False),
    ("null", "127.0.0.1:8000", False),  # sandboxed frames, file: pages
    ("file://", "127.0.0.1:8000", False),
    ("chrome-extension://abcdef", "127.0.0.1:8000", False),
    ("http://127.0.0.1:8000", None, False),
    ("http://127.0.0.1:99999", "127.0.0.1:8000", False),
    ("not a url", "127.0.0.1:8000", False),
])
def test_origin_matches_host(origin, host, allowed):
    assert origin_matches_host(origin, host) is allowed


@pytest.mark.parametrize(("host", "allowed_hosts", "allowed"), [
    ("127.0.0.1:8000", None, True),
    ("[::1]:8000", None, True),
    ("192.168.1.20:8000", None, True),  # --host 0.0.0.0, opened from a phone
    ("localhost:8000", None, True),
    ("app.localhost:8000", None, True),
    ("evil.example:8000", None, False),  # DNS rebinding
    ("localhost.evil.example", None, False),
    ("myhost.lan:8000", ["myhost.lan"], True),
    ("MyHost.Lan.:8000", ["myhost.lan"], True),
    ("other.lan:8000", ["myhost.lan"], False),
    ("a.dev.test", [".dev.test"], True),
    ("dev.test", [".dev.test"], True),
    ("xdev.test", [".dev.test"], False),
    ("anything.example", ["*"], True),
    (None, None, True),
    ("bad:port", None, False),
])
def test_host_allowed(host, allowed_hosts, allowed):
    assert host_allowed(host, allowed_hosts) is allowed
