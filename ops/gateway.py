"""The gateway's process (`python -m ops.gateway --host H --port P`): one app, two listeners.

- The public listener (`--host`, `--port`): web chat, webhooks, staff pages.
- With QD_INTERNAL_PORT, a second listener on 127.0.0.1 at that port, the only one that serves
  `/internal/*` (api/internal_listener.py); the action server calls it there. One process, so
  the outbox and inbox workers still run once.
- X-Forwarded-For and X-Forwarded-Proto are believed only from QD_FORWARDED_ALLOW_IPS (the
  reverse proxy's addresses). uvicorn's own default believes 127.0.0.1: then anything on the
  machine could pose as any address to the per-address limits. Without the setting, a request's
  address is its connection's.
- Logs are JSON lines on stderr (ops/logging_config.py), at INFO: uvicorn's, the app's and its
  workers'. uvicorn's access log stays off: its lines carry client addresses and paths.
"""

from __future__ import annotations

import argparse
import socket
from typing import Any

import uvicorn

from api.settings import Settings
from ops import logging_config

APP = "api.app:create_app"
LOOPBACK = "127.0.0.1"


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy settings: the configured proxy's headers, or none at all."""
    trusted = settings.forwarded_allow_ips.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}


def config(settings: Settings, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        access_log=False,  # access lines would carry client addresses and case paths
        log_config=None,  # main() installs the JSON logging once, for the process
        log_level=None,  # uvicorn's loggers take the root's level from that configuration
        **proxy_options(settings),
    )


def listeners(settings: Settings, host: str, port: int) -> list[socket.socket]:
    """The public socket, and the internal one on loopback when QD_INTERNAL_PORT is set."""
    sockets = [config(settings, host, port).bind_socket()]
    if settings.internal_port is not None:
        sockets.append(config(settings, LOOPBACK, settings.internal_port).bind_socket())
    return sockets


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    logging_config.install("INFO")
    settings = Settings()
    sockets = listeners(settings, args.host, args.port)
    uvicorn.Server(config(settings, args.host, args.port)).run(sockets=sockets)


if __name__ == "__main__":
    main()
