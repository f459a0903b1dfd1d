"""Security headers (SECURITY.md 14) on every response of the gateway, errors and 404s included.

One middleware on the whole app (api/app.py), so no router can forget them. A header a route has
set itself is left alone, so a page that needs a different policy can say so.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)


STRICT_TRANSPORT_SECURITY = ("strict-transport-security", "max-age=31536000; includeSubDomains")
"""Over HTTPS only (RFC 6797 ignores it over HTTP): a browser that has once reached the chat
over HTTPS never again asks for it over plain HTTP, where a network attacker could read or
change it. Behind a TLS proxy the scheme is the proxy's when the gateway trusts it
(`QD_FORWARDED_ALLOW_IPS`, passed to uvicorn by ops/gateway.py)."""


def _with_security_headers(send: Send, *, https: bool) -> Send:
    wanted = (*SECURITY_HEADERS, STRICT_TRANSPORT_SECURITY) if https else SECURITY_HEADERS

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [
                (name.encode(), value.encode())
                for name, value in wanted
                if name.encode() not in present
            ]
            message = {**message, "headers": headers}
        await send(message)

    return send_with_headers


class SecurityHeadersMiddleware:
    """Pure ASGI middleware: adds the headers to every HTTP response it has not got yet."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        await self.app(scope, receive, _with_security_headers(send, https=https))
