"""How much danger a message shows: now, possibly, or none, from the words and the classifier.

The words (`words.py`) are read first and decide alone when they fire; the classifier
(`semantic.py`) then decides between a confident NOW, an uncertain POSSIBLE and NONE with the
two cut-offs chosen at build time. The channels give NOW the emergency answer first and POSSIBLE
a one-line 999 reminder after the normal reply ("when in doubt, give the 999 line").

The channels await `assess_async` on the event loop, which also answers every emergency: the
words are cheap and are read there, but the classifier (a sentence encoder, milliseconds of CPU a
message) runs in one worker thread of its own (onnxruntime and tokenizers release the GIL), so an
emergency never waits behind ordinary messages being classified. `assess` is the same reading in
the caller's thread, for offline tools (the held-out report, the danger latency bench).
"""

from __future__ import annotations

import asyncio
import enum
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from api.settings import get_settings
from channels.danger import semantic, words
from channels.danger.semantic import Classifier


class Danger(enum.Enum):
    NONE = "none"
    POSSIBLE = "possible"  # the normal reply, then the one-line 999 reminder
    NOW = "now"  # the emergency answer first


@cache
def classifier() -> Classifier | None:
    """Loaded once per process from <QD_VAR_DIR>/models/danger, where `make` builds it."""
    return semantic.load(get_settings().var_dir / "models" / "danger")


@cache
def _classifier_thread() -> ThreadPoolExecutor:
    """One thread: the encoder uses one core, and the gateway's other work keeps the rest.

    Messages queue here for the classifier, never on the event loop; the first one also loads
    the model here. One thread also means the model is never loaded or run twice at once.
    """
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="danger-classifier")


async def assess_async(text: str) -> Danger:
    """The danger level of one message, without blocking the event loop (module docstring)."""
    level = words_level(text)
    if level is not None:
        return level
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_classifier_thread(), classifier_level, text)


def assess(text: str) -> Danger:
    """The same level as `assess_async`, in the caller's thread: never on the event loop."""
    level = words_level(text)
    return classifier_level(text) if level is None else level


def words_level(text: str) -> Danger | None:
    """NONE for an empty message, NOW when the words fire; None: the classifier decides.

    A pressed button's payload ("/affirm") holds no words of the person's, so it is NONE
    without the classifier (the emergency button's payload is one of the danger words).
    """
    if not text.strip():
        return Danger.NONE
    if words.fires(text):
        return Danger.NOW
    if semantic.is_payload(text):
        return Danger.NONE
    return None


def classifier_level(text: str) -> Danger:
    """The classifier's reading alone, by its two cut-offs (NONE when it was never built)."""
    model = classifier()
    if model is None:
        return Danger.NONE
    probability = model.probability(text)
    if probability >= model.thresholds.now:
        return Danger.NOW
    if probability >= model.thresholds.possible:
        return Danger.POSSIBLE
    return Danger.NONE
