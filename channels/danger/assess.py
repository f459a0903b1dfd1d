"""How much danger a message shows: now, possibly, or none, from the words and the classifier.

The words (`words.py`) are read first and decide alone when they fire; the classifier
(`semantic.py`) then decides between a confident NOW, an uncertain POSSIBLE and NONE with the
two cut-offs chosen at build time. The channels give NOW the emergency answer first and POSSIBLE
a one-line 999 reminder after the normal reply ("when in doubt, give the 999 line").
"""

from __future__ import annotations

import enum
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


def assess(text: str) -> Danger:
    """The danger level of one message (see the module docstring)."""
    if not text.strip():
        return Danger.NONE
    if words.fires(text):
        return Danger.NOW
    return classifier_level(text)


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
