"""Rasa's server logs JSON lines (ops/logging_config.py), like every other process of Quiet Door.

Rasa 3.6 sets up three kinds of logging when it serves: coloured console lines on the root logger
(`rasa.utils.io.configure_colored_logging`), structlog lines rendered as JSON through the standard
library, and Sanic's own console handlers (`sanic.log.LOGGING_CONFIG_DEFAULTS`, applied when its
server app is made). `install` swaps the first for ours and makes the third ours too; the second
then reaches our handler, which keeps only each structlog line's event name, never its fields
(a user message, a slot value).

Only for `rasa run` (bot/rasa_cli.py): `rasa train` keeps its console output for the person
building the model.
"""

from __future__ import annotations

from ops import logging_config

START_LEVEL = "WARNING"
"""Until Rasa reads its own level: what importing Rasa, TensorFlow and Sanic warns is kept."""


def _json_logs(level: int | str | None) -> None:
    """In place of Rasa's coloured logs: ours, at Rasa's level (`--quiet`: WARNING)."""
    from sanic.log import LOGGING_CONFIG_DEFAULTS

    chosen = level or "INFO"
    logging_config.install(chosen)
    LOGGING_CONFIG_DEFAULTS.clear()  # Sanic reads this very dict when Rasa makes its app
    LOGGING_CONFIG_DEFAULTS.update(logging_config.dict_config(chosen))


def install() -> None:
    """JSON lines from now on, before Rasa is imported; Rasa's own set-up then keeps them."""
    logging_config.install(START_LEVEL)
    import rasa.utils.io

    rasa.utils.io.configure_colored_logging = _json_logs
