"""`/internal/*` only on the private listener: the public one answers 404, as for no route.

The action server files reports through `/internal/cases` with a service token. That token is
the only thing between the internet and the case service's write path when the same listener
serves both; `make run` therefore runs the one app on two listeners (ops/gateway.py): the public
one, and QD_INTERNAL_PORT on loopback, where the action server calls. A request's listener is
the local address of its connection (`scope["server"]`), which no header can change. Without
QD_INTERNAL_PORT (tests, a single listener behind a private network) nothing changes.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

INTERNAL_PREFIX = "/internal"


def is_internal_path(path: str) -> bool:
    return path == INTERNAL_PREFIX or path.startswith(INTERNAL_PREFIX + "/")


class InternalRoutesOnPrivateListener:
    """ASGI middleware: 404 for `/internal/*` unless the connection came in on `internal_port`."""

    def __init__(self, app: ASGIApp, internal_port: int) -> None:
        self.app = app
        self.internal_port = internal_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_internal_path(scope["path"]):
            server = scope.get("server") or (None, None)
            if server[1] != self.internal_port:
                await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
                return
        await self.app(scope, receive, send)
