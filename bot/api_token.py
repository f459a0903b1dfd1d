"""Rasa's HTTP API token from the environment (QD_RASA_TOKEN), never from the command line.

Rasa 3.6 takes the token only as `--auth-token`, and a process's command line is readable by
every local user in /proc/<pid>/cmdline: with the token anyone on the machine could swap or
delete the model, or read and replace any conversation. `install` makes Rasa's server take the
token from the environment instead, which only the process's own user (and root) can read.

Without a token Rasa would serve its API to anyone, so a process that enables the API with
QD_RASA_TOKEN unset refuses to start.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import rasa.server

TOKEN_VARIABLE = "QD_RASA_TOKEN"  # noqa: S105 - the variable's name, not a token


class MissingToken(SystemExit):
    """Rasa's API was asked for without QD_RASA_TOKEN: it would be open to anyone."""


def token_from_environment() -> str:
    """QD_RASA_TOKEN, or MissingToken if it is unset or empty."""
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        raise MissingToken(f"{TOKEN_VARIABLE} must be set when Rasa's HTTP API is enabled")
    return token


def install() -> None:
    """Every Rasa API app built in this process is guarded by the token in the environment."""
    original = rasa.server.create_app

    @functools.wraps(original)
    def create_app(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("auth_token"):
            raise SystemExit("give Rasa's API token in QD_RASA_TOKEN, not on the command line")
        kwargs["auth_token"] = token_from_environment()
        return original(*args, **kwargs)

    rasa.server.create_app = create_app
