"""Pseudonyms exactly as the contract defines them, and the key's rules."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from dwt.config import ConfigError
from dwt.pseudonym import (
    employer_id,
    ensure_demo_key,
    key_fingerprint,
    load_key,
    participant_id,
    pseudonymise,
)

KEY = b"study-secret-for-the-tests"


def test_participant_id_is_the_first_16_hex_of_hmac_sha256_of_bsn_prefix() -> None:
    expected = hmac.new(KEY, b"bsn:012345672", hashlib.sha256).hexdigest()[:16]
    assert participant_id(KEY, "012345672") == expected
    assert len(expected) == 16


def test_employer_id_uses_the_kvk_prefix() -> None:
    expected = hmac.new(KEY, b"kvk:01234567", hashlib.sha256).hexdigest()[:16]
    assert employer_id(KEY, "01234567") == expected
    same_digits_as_bsn = hmac.new(KEY, b"bsn:01234567", hashlib.sha256).hexdigest()[:16]
    assert employer_id(KEY, "01234567") != same_digits_as_bsn


def test_an_interview_pseudonym_is_the_hmac_of_its_document_code_with_its_own_prefix() -> None:
    from dwt.schema import load_instrument

    expected = hmac.new(KEY, b"interview:INT-ZKI-2018-014", hashlib.sha256).hexdigest()[:16]
    for name in ("interviews", "interview_codes"):
        column = load_instrument(name).column("interview_id")
        assert pseudonymise(KEY, column.hmac_prefix, ["INT-ZKI-2018-014"]) == [expected]
    # identifiers without a prefix of their own keep their type's: bsn, kvk as before
    assert load_instrument("placements").column("bsn").hmac_prefix == "bsn"
    assert load_instrument("interviews").column("employer_kvk").hmac_prefix == "kvk"


def test_pseudonymise_keeps_missing_values_missing() -> None:
    import pandas as pd

    out = pseudonymise(KEY, "bsn", pd.Series(["012345672", None, pd.NA, "012345672"]))
    assert out[0] == out[3] == participant_id(KEY, "012345672")
    assert out[1] is None and out[2] is None


def test_the_key_file_is_read_without_its_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(KEY + b"\n")
    assert load_key(str(path)) == KEY


def test_the_environment_key_is_used_when_no_file_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DWT_PSEUDONYM_KEY", "the-key-from-the-environment")
    assert load_key(None) == b"the-key-from-the-environment"


def test_no_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DWT_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigError, match="no pseudonym key"):
        load_key(None)


@pytest.mark.parametrize("make", ["missing", "directory", "empty"])
def test_an_unusable_key_file_is_a_configuration_error(tmp_path: Path, make: str) -> None:
    path = tmp_path / "key"
    if make == "directory":
        path.mkdir()
    elif make == "empty":
        path.write_bytes(b"\n")
    with pytest.raises(ConfigError):
        load_key(str(path))


def test_the_fingerprint_tells_keys_apart_without_revealing_them() -> None:
    assert key_fingerprint(KEY) == key_fingerprint(KEY)
    assert key_fingerprint(KEY) != key_fingerprint(b"other")
    assert KEY.hex() not in key_fingerprint(KEY)


def test_the_demo_key_is_created_once_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "restricted" / "demo.key"
    first = ensure_demo_key(path)
    assert ensure_demo_key(path) == first
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only


@pytest.mark.parametrize(
    ("prefix", "value"),
    [
        ("kvk", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18"),  # full-width digits
        ("bsn", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0662"),  # Arabic-Indic
        ("bsn", "12345678"),  # not padded
        ("kvk", "1234 5678"),
    ],
)
def test_a_value_that_is_not_a_parsed_identifier_is_refused_without_quoting_it(
    prefix: str, value: str
) -> None:
    from dwt.pseudonym import IdentifierError

    with pytest.raises(IdentifierError) as caught:
        pseudonymise(KEY, prefix, [value])
    exc = caught.value
    assert value not in str(exc) and value not in repr(exc)
    assert all(value not in str(arg) for arg in exc.args)
    assert exc.__cause__ is None and exc.__context__ is None  # no UnicodeEncodeError inside


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\n\n\n", "only whitespace"),
        (b" \n", "only whitespace"),
        (b"\t  \r\n", "only whitespace"),
        (b"short-key\n", "holds a key of 9 bytes; at least 16"),
        (b"   fifteen-bytes!!   \n", "holds a key of 15 bytes"),  # spaces do not count
    ],
)
def test_a_blank_or_short_key_file_is_refused_without_showing_the_key(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "key"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as caught:
        load_key(str(path))
    assert content.strip().decode() not in str(caught.value) or not content.strip()


@pytest.mark.parametrize("value", [" ", "\n", "tooshort"])
def test_a_blank_or_short_environment_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DWT_PSEUDONYM_KEY", value)
    with pytest.raises(ConfigError, match="DWT_PSEUDONYM_KEY holds") as caught:
        load_key(None)
    assert "tooshort" not in str(caught.value)


def test_the_test_and_demo_keys_are_long_enough(tmp_path: Path) -> None:
    from dwt.pseudonym import MIN_KEY_BYTES

    assert len(b"dwt-test-key-not-secret") >= MIN_KEY_BYTES
    assert len(ensure_demo_key(tmp_path / "demo.key")) >= MIN_KEY_BYTES
