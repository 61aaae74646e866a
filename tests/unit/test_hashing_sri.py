"""pipeline.core.hashing and pipeline.assets.sri: fingerprints, hashed file names and SRI values."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.assets import sri
from pipeline.core import hashing


@given(st.binary(max_size=512))
def test_fingerprint_is_sha384_of_the_bytes(data: bytes) -> None:
    fp = hashing.fingerprint(data)
    expected = hashlib.sha384(data)
    assert fp.digest == expected.digest()
    assert fp.hex == expected.hexdigest()
    assert fp.short == expected.hexdigest()[:16]
    assert fp.size == len(data)
    assert fp.integrity == "sha384-" + base64.b64encode(expected.digest()).decode()


def test_fingerprint_known_vector() -> None:
    # FIPS 180-2 test vector for SHA-384("abc")
    fp = hashing.fingerprint(b"abc")
    assert fp.hex == (
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
        "8086072ba1e7cc2358baeca134c825a7"
    )
    assert fp.short == "cb00753f45a35e8b"


@pytest.mark.parametrize(
    ("logical", "expected"),
    [
        ("css/app.css", "css/app.HASH.css"),
        ("app.js", "app.HASH.js"),
        ("a/b/archive.tar.gz", "a/b/archive.tar.HASH.gz"),
        ("Makefile", "Makefile.HASH"),
        (".htaccess", ".htaccess.HASH"),
        ("img/.hidden.png", "img/.hidden.HASH.png"),
        ("fonts/Inter-Bold.woff2", "fonts/Inter-Bold.HASH.woff2"),
    ],
)
def test_hashed_name(logical: str, expected: str) -> None:
    assert hashing.hashed_name(logical, "HASH") == expected


@given(
    st.lists(st.text(alphabet="abcxyz_-", min_size=1, max_size=6), max_size=3),
    st.text(alphabet="abcxyz_-", min_size=1, max_size=8),
    st.sampled_from(["css", "js", "png", "wasm"]),
)
def test_hashed_name_keeps_folder_stem_and_suffix(dirs: list[str], stem: str, ext: str) -> None:
    logical = "/".join([*dirs, f"{stem}.{ext}"])
    name = hashing.hashed_name(logical, "0123456789abcdef")
    assert name == "/".join([*dirs, f"{stem}.0123456789abcdef.{ext}"])


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_integrity_single_algorithm(algorithm: str) -> None:
    data = b"console.log('hi')\n"
    digest = hashlib.new(algorithm, data).digest()
    assert sri.integrity(data, (algorithm,)) == f"{algorithm}-{base64.b64encode(digest).decode()}"


def test_integrity_default_is_sha384() -> None:
    data = b"x"
    assert sri.integrity(data) == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_integrity_several_algorithms_are_space_separated() -> None:
    tokens = sri.integrity(b"data", ("sha256", "sha512")).split(" ")
    assert [t.split("-", 1)[0] for t in tokens] == ["sha256", "sha512"]
    assert base64.b64decode(tokens[0].split("-", 1)[1]) == hashlib.sha256(b"data").digest()
    assert base64.b64decode(tokens[1].split("-", 1)[1]) == hashlib.sha512(b"data").digest()


@given(st.binary(max_size=256), st.sampled_from(["sha256", "sha384", "sha512"]))
def test_integrity_decodes_to_the_digest(data: bytes, algorithm: str) -> None:
    value = sri.integrity(data, (algorithm,))
    prefix, b64 = value.split("-", 1)
    assert prefix == algorithm
    assert base64.b64decode(b64, validate=True) == hashlib.new(algorithm, data).digest()
    assert len(b64) % 4 == 0  # standard padded base64


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha224", "SHA256", "sha3_256", "blake2b", ""])
def test_unknown_algorithms_are_refused(algorithm: str) -> None:
    with pytest.raises(ValueError, match="not an SRI algorithm"):
        sri.format_integrity(algorithm, b"\0" * 32)
    with pytest.raises(ValueError):
        sri.integrity(b"x", ("sha256", algorithm))


def test_format_integrity_uses_standard_base64_alphabet() -> None:
    digest = bytes([0xFB, 0xFF, 0xBF] * 16)  # encodes to '+' and '/' characters
    assert sri.format_integrity("sha384", digest) == "sha384-" + "+/+/" * 16
