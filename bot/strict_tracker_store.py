"""A configured tracker store that cannot be loaded stops Rasa instead of being replaced.

Rasa 3.6 answers an `ImportError` or `AttributeError` while loading a custom tracker store
(`type: bot.tracker_store.ExpiringInMemoryTrackerStore` and the sealed Redis store) with a warning
and its plain `InMemoryTrackerStore`: no expiry, no idle sweep, no sealing, and with several
workers each keeping its own copy. A disclosure would then outlive the session unseen, so a
typo, a missing package or a bug raising `AttributeError` in the store's constructor must stop
the worker, whose start-up check then names the problem.
"""

from __future__ import annotations

from typing import Any

import rasa.core.tracker_store as rasa_tracker_store
import rasa.shared.utils.common
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig


class TrackerStoreNotLoaded(RuntimeError):
    """The endpoints name a tracker store Rasa cannot build."""


def load_configured_store(
    domain: Domain, store: EndpointConfig, event_broker: EventBroker | None = None
) -> Any:
    """Rasa's own loading, without its silent fallback."""
    try:
        store_class = rasa.shared.utils.common.class_from_module_path(store.type)
        return store_class(host=store.url, domain=domain, event_broker=event_broker, **store.kwargs)
    except (AttributeError, ImportError) as error:
        raise TrackerStoreNotLoaded(
            f"the tracker store {store.type!r} in the endpoints file cannot be loaded "
            f"({type(error).__name__}); Rasa will not fall back to a store that never forgets"
        ) from error


def install() -> None:
    rasa_tracker_store._load_from_module_name_in_endpoint_config = load_configured_store
