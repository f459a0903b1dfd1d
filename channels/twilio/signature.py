"""Only Twilio gets in: the webhook's form body, checked with Twilio's own RequestValidator.

Twilio signs the full public URL it called plus the sorted form parameters with the account's
Auth Token (X-Twilio-Signature). Behind a proxy or load balancer the address the gateway sees is
not that URL, so the URL is rebuilt from PUBLIC_BASE_URL and the request's path and query. Any
request that does not check out gets 403 and is not looked at further (SECURITY.md 11).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from api.settings import Settings, current_settings
from channels.request_body import read_limited
from channels.twilio.config import missing_settings

FORM = "application/x-www-form-urlencoded"


def public_url(settings: Settings, request: Request) -> str:
    """The URL Twilio was told to call: PUBLIC_BASE_URL + this request's path and query."""
    base = (settings.public_base_url or "").rstrip("/")
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


async def signed_form(
    request: Request, settings: Annotated[Settings, Depends(current_settings)]
) -> ImmutableMultiDict[str, str]:
    """FastAPI dependency: the form parameters of a request Twilio signed, or 403 / 4xx."""
    if missing_settings(settings):
        raise HTTPException(404, "The SMS and WhatsApp channel is not configured.")
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        raise HTTPException(403, "Forbidden.")
    body = await read_limited(request, media_type=FORM)
    try:
        pairs = parse_qsl(
            body.decode("ascii"), keep_blank_values=True, errors="strict", max_num_fields=200
        )
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "The form body is not valid.") from None
    params = ImmutableMultiDict(pairs)
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    if not RequestValidator(token).validate(
        public_url(settings, request), params, signature, algorithm
    ):
        raise HTTPException(403, "Forbidden.")
    return params
