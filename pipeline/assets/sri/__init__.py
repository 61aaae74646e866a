"""Subresource Integrity values (W3C SRI): ``<alg>-<standard padded base64 of the digest>``.

Only sha256, sha384 and sha512 are valid; browsers ignore unknown algorithms and then *pass* the check,
so nothing else may ever be emitted.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

ALGORITHMS = ("sha256", "sha384", "sha512")
DEFAULT_ALGORITHM = "sha384"


def format_integrity(algorithm: str, digest: bytes) -> str:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"not an SRI algorithm: {algorithm!r} (use one of {', '.join(ALGORITHMS)})")
    return f"{algorithm}-{base64.b64encode(digest).decode('ascii')}"


def integrity(data: bytes, algorithms: Iterable[str] = (DEFAULT_ALGORITHM,)) -> str:
    """The ``integrity`` attribute value for ``data``, one token per algorithm."""
    return " ".join(format_integrity(alg, hashlib.new(alg, data).digest()) for alg in algorithms)
