"""Reading a webhook body safely: the declared type, UTF-8, and a size cap (SECURITY.md 16).

Every channel reads its body through here before parsing it, so an oversized or mistyped body
gets a clear 4xx (never a 500) and the error never repeats what was sent.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

MAX_BODY_BYTES = 16 * 1024


async def read_limited(
    request: Request, *, media_type: str, limit: int = MAX_BODY_BYTES, what: str = "message"
) -> bytes:
    """The raw body, if it is `media_type` in UTF-8 and at most `limit` bytes."""
    declared_type, _, params = request.headers.get("content-type", "").partition(";")
    if declared_type.strip().lower() != media_type:
        raise HTTPException(415, f"Send the {what} as {media_type}.")
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params.strip() else ""
    if charset not in ("", "utf-8", "utf8"):
        raise HTTPException(415, f"Send the {what} as UTF-8.")

    too_large = HTTPException(413, f"The {what} is too large (limit {limit} bytes).")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)
