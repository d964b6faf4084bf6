"""One Validator for the whole session: GX start-up is paid once, as in production."""

from __future__ import annotations

import pytest

from dwt.validation.runner import Validator


@pytest.fixture(scope="session")
def validator() -> Validator:
    return Validator()
