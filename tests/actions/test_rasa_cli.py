"""Rasa's exception logs must not carry local variables (they would hold slot values)."""

from __future__ import annotations

import io
import logging

import structlog
from rasa.utils.log_utils import configure_structlog

import bot.rasa_cli  # noqa: F401 - the import applies the safer renderer


def test_a_logged_exception_does_not_show_the_locals(monkeypatch) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    monkeypatch.setattr("sys.stderr", io.StringIO())  # not a terminal: Rasa's JSON logs
    try:
        configure_structlog(logging.WARNING)
        disclosure = "purple-heron-canary-7719"  # noqa: F841 - a local the renderer must skip
        try:
            raise KeyError("a slot")
        except KeyError:
            structlog.get_logger().exception("interpolator.interpolate.text")
    finally:
        logging.getLogger().removeHandler(handler)
        structlog.reset_defaults()
    logged = stream.getvalue()
    assert "interpolator.interpolate.text" in logged and "KeyError" in logged
    assert "purple-heron-canary-7719" not in logged
