"""A tracker store that cannot be loaded stops Rasa; Rasa alone would keep everything forever."""

from __future__ import annotations

from pathlib import Path

import pytest
import rasa.core.tracker_store as rasa_tracker_store
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from bot import strict_tracker_store
from bot.tracker_store import ExpiringInMemoryTrackerStore

DOMAIN = Domain.empty()


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed for this test only: Rasa's module is as it was afterwards."""
    monkeypatch.setattr(
        rasa_tracker_store,
        "_load_from_module_name_in_endpoint_config",
        rasa_tracker_store._load_from_module_name_in_endpoint_config,
    )
    strict_tracker_store.install()


def test_rasa_alone_falls_back_to_a_store_that_never_forgets() -> None:
    """Why the module exists: if Rasa ever stops doing this, it can go."""
    with pytest.warns(UserWarning, match="not found"):
        store = TrackerStore.create(EndpointConfig(type="bot.no_such_module.Store"), DOMAIN)
    assert type(store) is InMemoryTrackerStore


@pytest.mark.parametrize(
    "store_type", ["bot.no_such_module.Store", "bot.tracker_store.NoSuchStore"]
)
def test_a_store_that_cannot_be_loaded_stops_rasa(strict: None, store_type: str) -> None:
    with pytest.raises(strict_tracker_store.TrackerStoreNotLoaded, match="cannot be loaded"):
        TrackerStore.create(EndpointConfig(type=store_type), DOMAIN)


def test_the_configured_store_still_loads(strict: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QD_ACTIONS_URL", "http://127.0.0.1:5055")  # as ops/stack.py sets it
    config = read_endpoint_config(
        str(Path(__file__).resolve().parents[2] / "bot" / "endpoints.yml"), "tracker_store"
    )
    assert isinstance(TrackerStore.create(config, DOMAIN), ExpiringInMemoryTrackerStore)
