"""Pseudonyms exactly as the contract defines them, and the study key that makes them.

participant_id = first 16 hex characters of HMAC-SHA256(key, "bsn:" + 9-digit BSN)
employer_id    = first 16 hex characters of HMAC-SHA256(key, "kvk:" + 8-digit KvK)

The key is the study's secret: stable across years (or linkage breaks), never in the
repository. A real ingest refuses to run without it; only `dwt demo` creates a local key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from dwt.config import ENV_KEY, ConfigError
from dwt.errors import IdentifierError
from dwt.files import write_atomic

__all__ = [
    "IdentifierError",
    "employer_id",
    "key_fingerprint",
    "load_key",
    "participant_id",
    "pseudonymise",
]

PSEUDONYM_HEX = 16
_FINGERPRINT_MESSAGE = b"dwt:key-fingerprint:v1"
# Digits of the identifier behind each prefix (the parser compacts and left-pads to these).
IDENTIFIER_DIGITS = {"bsn": 9, "kvk": 8}


def _digest(key: bytes, prefix: str, identifier: str) -> str:
    # Checked before encoding: a UnicodeEncodeError would carry the whole value in its args.
    width = IDENTIFIER_DIGITS.get(prefix)
    if width is None:  # a document code (interviews): validated against its pattern upstream
        if not (identifier.isascii() and identifier.isprintable() and identifier):
            raise IdentifierError(f"a {prefix} value is not printable ASCII")
    elif not (len(identifier) == width and identifier.isascii() and identifier.isdigit()):
        raise IdentifierError(f"a {prefix} value is not {width} ASCII digits")
    message = f"{prefix}:{identifier}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def participant_id(key: bytes, bsn: str) -> str:
    """Pseudonym of a person from the 9-digit BSN (left-padded by the parser)."""
    return _digest(key, "bsn", bsn)


def employer_id(key: bytes, kvk: str) -> str:
    """Pseudonym of an employer from the 8-digit KvK number."""
    return _digest(key, "kvk", kvk)


def pseudonymise(key: bytes, prefix: str, values: Iterable[object]) -> list[str | None]:
    """Vectorised helper: one pseudonym per value; missing values stay missing.

    Equal values share one HMAC computation (a person appears in many rows and waves).
    """
    cache: dict[str, str] = {}
    out: list[str | None] = []
    for value in values:
        if _missing(value):
            out.append(None)
            continue
        text = str(value)
        if text in ("<NA>", ""):
            out.append(None)
            continue
        pid = cache.get(text)
        if pid is None:
            pid = cache[text] = _digest(key, prefix, text)
        out.append(pid)
    return out


def _missing(value: object) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and value != value


def key_fingerprint(key: bytes) -> str:
    """A non-reversible tag of the key, stored with the lake to refuse a different key."""
    return hmac.new(key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


# A key anyone could guess is no key: the pseudonyms of a 9-digit BSN space can be brute-forced
# for an empty or short key. 16 bytes is the floor (the demo key has 64 hex characters).
MIN_KEY_BYTES = 16


def read_key_file(path: Path) -> bytes:
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read key file {path}: {exc.strerror or exc}") from exc
    key = text[:-1] if text.endswith(b"\n") else text
    if key.endswith(b"\r"):
        key = key[:-1]
    if not key:
        raise ConfigError(f"key file {path} is empty")
    return check_key_strength(key, f"key file {path}")


def check_key_strength(key: bytes, source: str) -> bytes:
    """Refuse a blank or short key (the message never shows the key, only its length)."""
    if not key.strip():
        raise ConfigError(f"{source} holds only whitespace: that is no pseudonym key")
    if len(key.strip()) < MIN_KEY_BYTES:
        raise ConfigError(
            f"{source} holds a key of {len(key.strip())} bytes; at least {MIN_KEY_BYTES} are "
            "needed (the study's secret: a long random string, e.g. `openssl rand -hex 32`)"
        )
    return key


def load_key(key_file: str | os.PathLike[str] | None) -> bytes:
    """The study key from --key-file, else DWT_PSEUDONYM_KEY; refuses to run without one,
    and refuses a blank or short one."""
    if key_file is not None:
        return read_key_file(Path(key_file))
    env = os.environ.get(ENV_KEY)
    if env:
        return check_key_strength(env.encode("utf-8"), ENV_KEY)
    raise ConfigError(
        "no pseudonym key: set DWT_PSEUDONYM_KEY or pass --key-file FILE "
        "(the study's secret; it must be the same key every year)"
    )


def ensure_demo_key(path: Path) -> bytes:
    """Create a random local key once (demo only) and reuse it afterwards."""
    if path.exists():
        return read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    write_atomic(path, key + b"\n", durable=True, mode=0o600)
    return key
