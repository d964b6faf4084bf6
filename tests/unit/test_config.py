"""Settings: the disclosure threshold k is a whole number and never below the study's k."""

from __future__ import annotations

import pytest

from dwt.config import ConfigError, Settings, settings_from_args
from dwt.schema import load_study


def test_k_defaults_to_the_study_k(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DWT_DISCLOSURE_K", raising=False)
    assert Settings().k == load_study().k == 5


@pytest.mark.parametrize("value", ["5", "7", " 10 "])
def test_k_may_be_raised_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DWT_DISCLOSURE_K", value)
    assert Settings().k == int(value)


@pytest.mark.parametrize("value", ["0", "-1", "4", "1"])
def test_k_below_the_study_k_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DWT_DISCLOSURE_K", value)
    with pytest.raises(ConfigError, match="at least 5"):
        Settings()
    with pytest.raises(ConfigError, match="at least 5"):
        settings_from_args("data")


@pytest.mark.parametrize("value", ["abc", "5.0", "5e0", "vijf"])
def test_k_that_is_not_a_whole_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DWT_DISCLOSURE_K", value)
    with pytest.raises(ConfigError, match="must be a whole number"):
        Settings()


@pytest.mark.parametrize("k", [0, -3, 4, 4.5, True])
def test_k_given_in_code_is_checked_too(k: object) -> None:
    with pytest.raises(ConfigError):
        Settings(k=k)  # type: ignore[arg-type]
