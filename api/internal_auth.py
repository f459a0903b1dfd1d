"""The service token that lets the action server, and nothing else, call /internal/*."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, status

from api.settings import Settings, current_settings


def require_service_token(
    settings: Annotated[Settings, Depends(current_settings)],
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """Constant-time comparison, and a refusal when no token is configured at all."""
    expected = settings.service_token.get_secret_value()
    scheme, _, presented = (authorization or "").partition(" ")
    if (
        not expected
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(presented.encode(), expected.encode())
    ):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="A valid service token is required.",
            headers={"WWW-Authenticate": "Bearer"},
        )
