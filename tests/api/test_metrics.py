"""Prometheus metrics: only on the private listener, moving with what happens, and never a label
that could identify a person; the example alert rules name only metrics that exist."""

from __future__ import annotations

import datetime as dt
import re
import socket
from collections.abc import Callable, Iterator

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from api.cases.models import Case
from api.metrics import LABEL_VALUES, REGISTRY
from api.metrics_scrape import exposition
from api.settings import REPO_ROOT, Settings
from channels.danger import assess

from .conftest import build_app
from .test_escalation import DEADLINE, T0, keys, new_case  # noqa: F401 - fixtures used here

INTERNAL_PORT = 8123
ALERT_RULES = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
EMERGENCY_BUTTON = "/emergency"


def closed_port_url() -> str:
    """An address where nothing listens: Rasa is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def gateway(migrated: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """(public, internal) clients of one gateway whose Rasa is down; danger read by words only."""
    settings = migrated.model_copy(
        update={"internal_port": INTERNAL_PORT, "rasa_url": closed_port_url()}
    )
    app = build_app(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assess, "classifier", lambda: None)
        with TestClient(app, base_url="http://testserver") as public:
            internal = TestClient(app, base_url=f"http://testserver:{INTERNAL_PORT}")
            yield public, internal


def samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_answer_only_on_the_private_listener(gateway, migrated: Settings) -> None:
    public, internal = gateway
    assert public.get("/internal/metrics").status_code == 404
    answer = internal.get("/internal/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "quietdoor_requests_total" in answer.text
    assert "quietdoor_outbox_depth" in answer.text
    # Without a private listener there is only the public one: no metrics at all.
    with TestClient(build_app(migrated)) as single:
        assert single.get("/internal/metrics").status_code == 404


def test_a_web_chat_message_and_the_safety_net_move_the_counters(gateway) -> None:
    public, _ = gateway
    before = {
        "requests": value("quietdoor_requests_total", channel="web", outcome="ok"),
        "not_taken": value("quietdoor_safety_net_answers_total", channel="web", kind="not_taken"),
        "emergency": value("quietdoor_safety_net_answers_total", channel="web", kind="emergency"),
        "rasa_errors": value("quietdoor_rasa_seconds_count", outcome="error"),
        "web_timed": value("quietdoor_request_seconds_count", channel="web"),
    }
    chat = {"sender": "metrics-sender-1", "message": "hello"}
    assert public.post("/webhooks/rest/webhook", json=chat).status_code == 200
    pressed = {"sender": "metrics-sender-2", "message": EMERGENCY_BUTTON}
    assert public.post("/webhooks/rest/webhook", json=pressed).status_code == 200

    assert value("quietdoor_requests_total", channel="web", outcome="ok") == before["requests"] + 2
    assert value("quietdoor_request_seconds_count", channel="web") == before["web_timed"] + 2
    not_taken = value("quietdoor_safety_net_answers_total", channel="web", kind="not_taken")
    assert not_taken == before["not_taken"] + 1  # Rasa down: the numbers and "not saved"
    emergency = value("quietdoor_safety_net_answers_total", channel="web", kind="emergency")
    assert emergency == before["emergency"] + 1
    assert value("quietdoor_rasa_seconds_count", outcome="error") >= before["rasa_errors"] + 1


def test_no_label_value_outside_the_fixed_sets(gateway) -> None:
    """Whatever is asked (a made-up path, a staff path with an id, a sender id), the labels are
    only channel, outcome and kind, each from its fixed set."""
    public, internal = gateway
    public.get("/no/such/place/07700900123")
    public.get("/staff/cases/0b7e0c7a-1111-4c4c-8888-123456789abc")
    public.post("/chat/pending", json={"sender": "sender-label-probe"})
    public.post("/chat/follow-up", json={"code": "ABCD-EFGH"})
    public.post("/webhooks/twilio/webhook", data={"From": "+447700900123", "Body": "hi"})
    text = internal.get("/internal/metrics").text
    assert "07700900123" not in text
    assert "sender-label-probe" not in text
    for sample in samples(text):
        for label, given in sample.labels.items():
            if label == "le":  # a histogram's bucket bound
                continue
            assert label in LABEL_VALUES, sample
            assert given in (*LABEL_VALUES[label], "other"), sample


def test_backlogs_and_overdue_alerts_are_counted_from_the_database(
    migrated: Settings,
    new_case: Callable[..., Case],  # noqa: F811 - the imported fixture
) -> None:
    new_case(now=T0, recipients=["duty@example.org"])  # one alert, one e-mail waiting

    def figures(now: dt.datetime) -> dict[str, float]:
        return {s.name: s.value for s in samples(exposition(migrated, now).decode())}

    within = figures(T0 + dt.timedelta(minutes=5))
    assert within["quietdoor_outbox_depth"] == 1
    assert within["quietdoor_outbox_oldest_age_seconds"] == 300
    assert within["quietdoor_alerts_past_acknowledgement"] == 0
    assert within["quietdoor_alerts_past_deadline"] == 0
    assert within["quietdoor_inbox_depth"] == 0
    assert within["quietdoor_inbox_oldest_age_seconds"] == 0

    window = dt.timedelta(minutes=migrated.acknowledge_within_minutes)
    after_window = figures(T0 + window + dt.timedelta(minutes=1))
    assert after_window["quietdoor_alerts_past_acknowledgement"] == 1
    assert after_window["quietdoor_alerts_past_deadline"] == 0

    after_deadline = figures(DEADLINE + dt.timedelta(minutes=1))
    assert after_deadline["quietdoor_alerts_past_acknowledgement"] == 1
    assert after_deadline["quietdoor_alerts_past_deadline"] == 1


def test_every_metric_in_the_example_alert_rules_exists(migrated: Settings) -> None:
    rules = yaml.safe_load(ALERT_RULES.read_text(encoding="utf-8"))
    exprs = [
        rule["expr"] + str(rule.get("annotations", {}))
        for group in rules["groups"]
        for rule in group["rules"]
    ]
    assert len(exprs) == 4
    named = {name for expr in exprs for name in re.findall(r"\bquietdoor_[a-z_]+", expr)}
    exposed = {sample.name for sample in samples(exposition(migrated).decode())}
    assert {
        "quietdoor_outbox_oldest_age_seconds",
        "quietdoor_inbox_oldest_age_seconds",
        "quietdoor_alerts_past_acknowledgement",
        "quietdoor_alerts_past_deadline",
    } <= named
    assert named <= exposed, named - exposed
