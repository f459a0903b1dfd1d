"""Bodies are bounded before anything reads them (issue 10): every route, with or without
credentials, answers 413 to a body over the limit, declared or streamed; the longest real report
still fits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import MAX_REQUEST_BODY_BYTES
from contract.report import FREE_TEXT_LIMITS

TWENTY_MB = 20 * 1024 * 1024
CHUNK = 64 * 1024
JSON = {"Content-Type": "application/json"}


def routes_taking_a_body(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) in the app's OpenAPI that takes a body, path parameters filled in."""
    found = []
    for path, operations in client.app.openapi()["paths"].items():
        filled = re.sub(r"\{[^}]+\}", "x", path)
        found += [(m.upper(), filled) for m in operations if m in {"post", "put", "patch"}]
    return found


def test_every_route_answers_413_to_a_declared_20_mb_body_without_credentials(
    client: TestClient,
) -> None:
    routes = routes_taking_a_body(client)
    assert ("POST", "/internal/cases") in routes and len(routes) > 10
    body = b"{" + b" " * TWENTY_MB + b"}"
    for method, path in routes:
        answer = client.request(method, path, content=body, headers=JSON)
        assert answer.status_code == 413, (method, path, answer.status_code)


def streamed(total: int) -> Iterator[bytes]:
    """A body of `total` bytes sent in chunks, without a Content-Length."""
    for _ in range(total // CHUNK):
        yield b" " * CHUNK


@pytest.mark.parametrize(
    "path", ["/internal/cases", "/api/v1/cases/x/entries", "/webhooks/rest/webhook"]
)
def test_a_streamed_body_over_the_limit_is_413(client: TestClient, path: str) -> None:
    answer = client.post(path, content=streamed(2 * MAX_REQUEST_BODY_BYTES), headers=JSON)
    assert answer.status_code == 413


def test_the_longest_possible_report_is_taken(
    client: TestClient, auth: dict[str, str], case_body: Callable[..., dict[str, object]]
) -> None:
    """Every free-text answer at its limit, in the characters JSON escapes longest (emoji)."""
    emoji = "\U0001f600"
    longest = case_body(**{field: emoji * limit for field, limit in FREE_TEXT_LIMITS.items()})
    answer = client.post("/internal/cases", json=longest, headers=auth)
    assert answer.status_code == 201, answer.text
