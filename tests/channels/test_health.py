"""`/livez` and `/readyz`: a load balancer keeps a gateway whose Rasa is down, because its own
safety net still answers a person; the assistant's state is reported beside it, and in
`/healthz` (tests/channels/test_web_router.py) for people and `make run`."""

from __future__ import annotations

import httpx
from channel_standins import Gateway
from fastapi.testclient import TestClient

from api.app import create_app


def test_a_gateway_whose_rasa_is_down_is_ready_with_the_assistant_reported_down(
    gateway_rasa_down: Gateway,
) -> None:
    ready = httpx.get(gateway_rasa_down.url + "/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "assistant": "down",
        "rasa": "down",
        "action_server": "ok",
    }
    assert httpx.get(gateway_rasa_down.url + "/healthz", timeout=10).status_code == 503
    # ... and it does answer a person: the safety net, with the numbers.
    answer = httpx.post(
        gateway_rasa_down.url + "/webhooks/rest/webhook",
        json={"sender": "health-probe-1", "message": "hello"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert any("999" in reply["text"] for reply in answer.json())


def test_a_gateway_with_its_assistant_up_is_ready_with_the_assistant_ok(gateway: Gateway) -> None:
    ready = httpx.get(gateway.url + "/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "assistant": "ok",
        "rasa": "ok",
        "action_server": "ok",
    }


def test_livez_asks_nothing_and_is_always_alive(gateway_rasa_down: Gateway) -> None:
    live = httpx.get(gateway_rasa_down.url + "/livez", timeout=10)
    assert live.status_code == 200
    assert live.json() == {"status": "alive"}


def test_a_gateway_not_started_or_shut_down_is_not_ready(gateway_rasa_down: Gateway) -> None:
    """Before its start-up has run (workers, channels), and again once shutdown has begun."""
    app = create_app(gateway_rasa_down.settings)
    client = TestClient(app)
    assert client.get("/readyz").status_code == 503  # start-up not run yet
    assert client.get("/livez").status_code == 200
    with client:
        assert client.get("/readyz").status_code == 200
    assert app.state.serving is False
    assert client.get("/readyz").json()["status"] == "not ready"
