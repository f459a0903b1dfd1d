"""Danger levels from the words and the classifier; the words alone when the model is missing."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import get_settings
from channels.danger import assess as assess_module
from channels.danger import semantic
from channels.danger.assess import Danger, assess, assess_async
from tests.danger.stub import StubClassifier, use


@pytest.mark.parametrize(
    ("score", "level"),
    [(0.95, Danger.NOW), (0.9, Danger.NOW), (0.5, Danger.POSSIBLE), (0.3, Danger.POSSIBLE),
     (0.29, Danger.NONE), (0.0, Danger.NONE)],
)  # fmt: skip
def test_the_classifier_decides_when_the_words_do_not_fire(
    monkeypatch: pytest.MonkeyPatch, score: float, level: Danger
) -> None:
    use(monkeypatch, StubClassifier(score))
    assert assess("he came back and i don't know what to do") is level


def test_the_words_decide_alone_when_they_fire(monkeypatch: pytest.MonkeyPatch) -> None:
    stub = StubClassifier(0.0)
    use(monkeypatch, stub)
    assert assess("hes got a nife") is Danger.NOW
    assert stub.asked == []


def test_an_empty_message_is_no_danger_and_is_not_classified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stub = StubClassifier(1.0)
    use(monkeypatch, stub)
    assert assess("  \n") is Danger.NONE
    assert stub.asked == []


@pytest.mark.parametrize(("text", "level"), [("/affirm", Danger.NONE), ("/emergency", Danger.NOW)])
def test_a_button_payload_is_not_classified(
    monkeypatch: pytest.MonkeyPatch, text: str, level: Danger
) -> None:
    stub = StubClassifier(1.0)
    use(monkeypatch, stub)
    assert assess(text) is level
    assert assess("/affirm but he is back") is Danger.NOW  # words of a person's: classified
    assert stub.asked == ["/affirm but he is back"]


def test_without_a_classifier_the_words_still_give_now_and_nothing_is_possible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(monkeypatch, None)
    assert assess("shes smashd the windw n sez shell kil me") is Danger.NOW
    assert assess("he came back and i don't know what to do") is Danger.NONE


class HeldClassifier(StubClassifier):
    """Holds each reading until released, and notes the thread it ran in."""

    def __init__(self, score: float) -> None:
        super().__init__(score)
        self.release = threading.Event()
        self.threads: list[int] = []

    def probability(self, text: str) -> float:
        self.threads.append(threading.get_ident())
        assert self.release.wait(timeout=10), "never released: it ran on the event loop"
        return super().probability(text)


def test_the_channels_reading_leaves_the_event_loop_free_while_the_classifier_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stub = HeldClassifier(0.5)
    use(monkeypatch, stub)

    async def an_emergency_during_a_reading() -> tuple[Danger, Danger, Danger, int]:
        reading = asyncio.create_task(assess_async("he came back and i don't know what to do"))
        await asyncio.sleep(0)  # the reading is with the classifier now
        emergency, empty = await assess_async("hes got a nife"), await assess_async("  ")
        stub.release.set()
        return await reading, emergency, empty, threading.get_ident()

    possible, emergency, empty, loop_thread = asyncio.run(an_emergency_during_a_reading())
    assert (possible, emergency, empty) == (Danger.POSSIBLE, Danger.NOW, Danger.NONE)
    assert stub.asked == ["he came back and i don't know what to do"]
    assert len(stub.threads) == 1
    assert loop_thread not in stub.threads


# The real loader, taken at import: another folder's fixture may stand in for it while it runs.
REAL_CLASSIFIER = assess_module.classifier


@pytest.fixture
def no_model_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The gateway's settings point at a var folder where `make` built nothing."""
    monkeypatch.setenv("QD_VAR_DIR", str(tmp_path))
    monkeypatch.setattr(assess_module, "classifier", REAL_CLASSIFIER)
    get_settings.cache_clear()
    REAL_CLASSIFIER.cache_clear()
    yield
    get_settings.cache_clear()
    REAL_CLASSIFIER.cache_clear()


@pytest.mark.usefixtures("no_model_files")
def test_missing_model_files_fall_back_to_the_words_and_say_so_once_without_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "he came round and i am frightened of what he will do"
    with caplog.at_level(logging.INFO, logger="quietdoor.channels.danger"):
        levels = [assess(secret), assess("he has a knife"), assess("hello")]
    assert levels == [Danger.NONE, Danger.NOW, Danger.NONE]
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "words only" in record.getMessage()
    assert "frightened" not in record.getMessage()


def test_unreadable_model_files_fall_back_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / semantic.CLASSIFIER_FILE).write_text("{not json", encoding="utf-8")
    (tmp_path / semantic.ENCODER_FILE).write_bytes(b"not a model")
    (tmp_path / semantic.TOKENIZER_FILE).write_text("{}", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="quietdoor.channels.danger"):
        assert semantic.load(tmp_path) is None
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "words only" in record.getMessage()
