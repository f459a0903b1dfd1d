"""The gateway built from the environment solves its dependencies without rebuilding them.

With any dependency override in place FastAPI rebuilds every dependency's signature on every
request (`inspect.signature` and type hints each time): measured as a large share of the
gateway's event loop under 50 conversations, the loop that answers emergencies. Only tests,
which pass their own settings, get an override.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies import utils as fastapi_dependencies
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings, get_settings


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Settings from an environment of defaults, with the var folder in tmp_path."""
    for name in [name for name in os.environ if name.startswith("QD_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("QD_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def signatures_built_by_one_request(app: Any, monkeypatch: pytest.MonkeyPatch) -> int:
    client = TestClient(app)
    assert client.get("/").status_code == 200  # warm: anything built once is built now
    built = []
    real = fastapi_dependencies.get_typed_signature

    def counting(call: Any) -> Any:
        built.append(call)
        return real(call)

    monkeypatch.setattr(fastapi_dependencies, "get_typed_signature", counting)
    assert client.get("/").status_code == 200
    return len(built)


@pytest.mark.usefixtures("environment")
def test_the_chat_page_builds_no_dependency_signature_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert signatures_built_by_one_request(create_app(), monkeypatch) == 0


@pytest.mark.usefixtures("environment")
def test_settings_given_by_a_test_are_the_ones_requests_see(tmp_path: Path) -> None:
    app = create_app(Settings(var_dir=tmp_path, chat_idle_seconds=987))
    assert 'data-idle-seconds="987"' in TestClient(app).get("/").text
