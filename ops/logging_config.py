"""One JSON object a line, for every process: the gateway, its workers, Rasa and the action server.

Each line has `time` (UTC, ISO 8601), `level`, `logger` and `event`, and for an exception its type
and where it was raised (`exception`, `stack`: file, line and function of each frame). What it
never has: an exception's message or a traceback's source lines (a KeyError or a validation
error can repeat the input that caused it), a client's address, or Rasa's structured fields
(`user_message`, `text`, slot values): from a structlog line only its event name is kept. Our
own log calls never put message text, sender ids, phone numbers or codes in `event`; the tests
in tests/ops/test_logging.py hold all of this to a run of typical requests.

uvicorn's access log stays off (ops/gateway.py): its lines carry the client's address and
paths. Rasa and the action server get the same configuration: bot/rasa_cli.py installs it in
place of Rasa's coloured console logging, the action server reads it from the file ops/stack.py
writes (`--logging-config_file`).

Python 3.10 and the standard library only: Rasa's processes import it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import traceback
from typing import Any

STDERR_HANDLER = "json_stderr"
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access")
"""Sanic's loggers do not propagate to the root (rasa_sdk turns that off): each gets the handler."""


def _event(message: str) -> str:
    """The event: the message, or only the `event` name of a structlog JSON line (Rasa's)."""
    if message.startswith("{"):
        try:
            parsed = json.loads(message)
        except ValueError:
            return message
        if isinstance(parsed, dict) and isinstance(parsed.get("event"), str):
            return parsed["event"]
    return message


class JsonFormatter(logging.Formatter):
    """A record as one JSON line (see the module docstring for what it leaves out)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "event": _event(record.getMessage()),
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            entry["exception"] = kind.__name__
            entry["stack"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(trace)
            ]
        return json.dumps(entry, ensure_ascii=False)


def json_formatter() -> JsonFormatter:
    """The formatter `dict_config` names; Python's warnings are routed into the log with it, so
    a library's DeprecationWarning is a JSON line too, in whichever process reads the config."""
    logging.captureWarnings(True)
    return JsonFormatter()


def dict_config(level: int | str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` (also uvicorn's `log_config`): JSON lines on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.json_formatter"}},
        "handlers": {
            STDERR_HANDLER: {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": [STDERR_HANDLER]},
        "loggers": {
            # uvicorn's own handlers would print plain text; through the root they are JSON.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            **{name: {"handlers": [STDERR_HANDLER], "propagate": False} for name in SANIC_LOGGERS},
        },
    }


def install(level: int | str = "INFO") -> None:
    """JSON lines on stderr for this process, replacing any handler the root had."""
    logging.config.dictConfig(dict_config(level))
