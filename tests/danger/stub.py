"""A stand-in for the danger classifier, so tests choose the probability it reports."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from channels.danger import assess
from channels.danger.semantic import Thresholds


@dataclass
class StubClassifier:
    """Answers one probability for every text and remembers what it was asked."""

    score: float
    thresholds: Thresholds = field(default_factory=lambda: Thresholds(now=0.9, possible=0.3))
    asked: list[str] = field(default_factory=list)

    def probability(self, text: str) -> float:
        self.asked.append(text)
        return self.score


def use(monkeypatch: pytest.MonkeyPatch, classifier: StubClassifier | None) -> None:
    """The gateway's `assess` reads this classifier (None: as if the model was never built)."""
    monkeypatch.setattr(assess, "classifier", lambda: classifier)
