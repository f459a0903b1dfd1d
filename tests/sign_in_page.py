"""What a browser sends back from the staff sign-in page besides the person's details.

The form may carry hidden fields (its CSRF token) bound to a cookie the page sets; tests that
post sign-ins the way a browser does take both from the page rather than knowing how they are
made, so they keep reaching the credential check whatever the form's protection becomes.
"""

from __future__ import annotations

import re

import httpx

_HIDDEN = re.compile(r"<input\b[^>]*\btype=\"hidden\"[^>]*>")
_ATTRIBUTE = re.compile(r"\b(name|value)=\"([^\"]*)\"")


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the page's form, by name."""
    fields = {}
    for tag in _HIDDEN.findall(html):
        attributes = dict(_ATTRIBUTE.findall(tag))
        fields[attributes["name"]] = attributes.get("value", "")
    return fields


def browser_state(page: httpx.Response) -> tuple[dict[str, str], dict[str, str]]:
    """(hidden fields, cookies) a browser holds after loading the sign-in page."""
    assert page.status_code == 200, page.text
    return hidden_fields(page.text), dict(page.cookies)
