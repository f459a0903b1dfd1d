"""Rasa's entry point: exception logs without local variables (they would hold slot values),
and no JAX."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

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


def test_rasa_runs_without_jax() -> None:
    """TensorFlow imports JAX only for TensorFlow Lite; the entry point keeps it (70 MB) out."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, bot.rasa_cli, rasa.core.agent;"
            " print('jax' in sys.modules and sys.modules['jax'] is not None,"
            " 'jaxlib' in sys.modules, 'tensorflow' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"},
    )
    assert loaded.stdout.split() == ["False", "False", "True"]
