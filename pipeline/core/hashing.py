"""Content fingerprints: one SHA-384 of the final bytes gives the file-name hash, the manifest hash
and the SRI value, so the three can never disagree."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from pipeline.assets.sri import DEFAULT_ALGORITHM, format_integrity

NAME_HASH_LENGTH = 16  # hex characters (64 bits) in file names, like Trunk


@dataclass(frozen=True)
class Fingerprint:
    digest: bytes  # SHA-384 of the final bytes
    size: int

    @property
    def hex(self) -> str:
        return self.digest.hex()

    @property
    def short(self) -> str:
        return self.hex[:NAME_HASH_LENGTH]

    @property
    def integrity(self) -> str:
        return format_integrity(DEFAULT_ALGORITHM, self.digest)


def fingerprint(data: bytes) -> Fingerprint:
    return Fingerprint(hashlib.sha384(data).digest(), len(data))


def hashed_name(logical: str, short_hash: str) -> str:
    """``css/app.css`` -> ``css/app.<hash>.css``: the hash goes before the last suffix only."""
    path = PurePosixPath(logical)
    if path.suffix and path.stem:
        return str(path.with_name(f"{path.stem}.{short_hash}{path.suffix}"))
    return str(path.with_name(f"{path.name}.{short_hash}"))
