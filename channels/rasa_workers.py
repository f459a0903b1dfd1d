"""Which Rasa worker holds a sender's conversation: shared by the gateway and `ops/stack.py`.

Standard library only, because `ops/stack.py` is imported in the Rasa venv too (its tests), where
the gateway's own dependencies (metrics, aiohttp's client) are not installed.
"""

from __future__ import annotations

import hashlib


def worker_for(sender: str, workers: int) -> int:
    """The index of the worker that holds this sender's conversation.

    A digest, not `hash()`: Python salts string hashes per process, and the gateway, its
    replicas after a restart, and the tests must all pick the same worker for a sender.
    """
    digest = hashlib.sha256(sender.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % workers
