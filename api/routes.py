"""The route class of every case-service router: private answers about private matters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from channels.web.headers import SecureRoute


class PrivateRoute(SecureRoute):
    """Security headers (no-store, CSP...) on every response, and 422s that never echo input.

    FastAPI's default 422 repeats what was sent, which here may be a disclosure or a password;
    and a value that is not valid Unicode could not even be encoded into the reply (a 500).
    """

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def handler_without_echo(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                return JSONResponse(
                    status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                    content={"detail": [_without_input(e) for e in error.errors()]},
                )

        return handler_without_echo


def _without_input(error: dict) -> dict[str, object]:
    def safe(text: object) -> str | int:
        if isinstance(text, int):
            return text
        return str(text).encode("utf-8", "replace").decode("utf-8")

    return {
        "loc": [safe(part) for part in error.get("loc", ())],
        "msg": safe(error.get("msg", "")),
        "type": safe(error.get("type", "")),
    }
