"""Validation errors that never repeat what was sent.

FastAPI's default 422 echoes the input, which here may be a disclosure or a password; and a value
that is not valid Unicode could not even be encoded into the reply (a 500). Installed once on the
app, so every router, present and future, answers this way.
"""

from __future__ import annotations

from fastapi import Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def validation_error_without_input(
    request: Request, error: RequestValidationError
) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": [_without_input(e) for e in error.errors()]},
    )


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
