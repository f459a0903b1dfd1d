"""Fixtures the start-up, key and migration tests share."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.db import dispose_engines


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No setting or secret (nor *_FILE) from the machine running the tests; engines closed after.

    A developer with `TWILIO_AUTH_TOKEN` or `QD_ENV` set gets the same results as CI.
    """
    for name in list(os.environ):
        if name.startswith(("QD_", "TWILIO_", "TELEGRAM_", "PUBLIC_BASE_URL")):
            monkeypatch.delenv(name)
    yield
    dispose_engines()


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"
