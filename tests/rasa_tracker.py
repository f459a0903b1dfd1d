"""Read a conversation straight from Rasa's HTTP API, as the tests that check what it holds do."""

from __future__ import annotations

import httpx


def rasa_tracker(rasa_url: str, token: str, sender: str, timeout: float = 30) -> dict:
    """The sender's tracker from one Rasa worker (with Redis, any worker)."""
    answer = httpx.get(
        f"{rasa_url}/conversations/{sender}/tracker", params={"token": token}, timeout=timeout
    )
    answer.raise_for_status()
    return answer.json()
