"""HSTS is sent over HTTPS, and never over plain HTTP (where browsers ignore it)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.web.headers import STRICT_TRANSPORT_SECURITY, SecurityHeadersMiddleware


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(SecurityHeadersMiddleware)

    @app.get("/")
    def page() -> dict[str, str]:
        return {}

    return app


def test_hsts_over_https(app: FastAPI) -> None:
    answer = TestClient(app, base_url="https://chat.example").get("/")
    name, value = STRICT_TRANSPORT_SECURITY
    assert answer.headers[name] == value and "max-age=31536000" in value
    assert answer.headers["x-frame-options"] == "DENY"


def test_no_hsts_over_plain_http(app: FastAPI) -> None:
    answer = TestClient(app, base_url="http://chat.example").get("/")
    assert STRICT_TRANSPORT_SECURITY[0] not in answer.headers
    assert answer.headers["x-frame-options"] == "DENY"
