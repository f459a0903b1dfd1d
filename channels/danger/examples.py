"""Labelled sentences for the danger classifier and its report, read from the repo's YAML.

Used at build time (channels/danger/build.py) and by tests/danger_report.py, never by the
gateway while it runs. Rasa's NLU data gives the `emergency` intent as danger now and every other
intent as not; `training.yml` beside this file adds the gateway's own phrasings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

OWN_TRAINING = Path(__file__).with_name("training.yml")
DANGER_INTENT = "emergency"

# Rasa's entity markup: "[Cardiff](place)" or '[Cardiff]{"entity": "place"}' -> "Cardiff".
_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Example:
    text: str
    danger: bool
    source: str  # "nlu:<intent>" or "own", so a report can say where a miss came from


def plain(text: str) -> str:
    """An NLU example as a person would type it: entity markup removed."""
    return _ENTITY.sub(r"\1", text).strip()


def _listed(block: str) -> list[str]:
    """Rasa's "- example" lines."""
    return [plain(line.strip()[2:]) for line in block.splitlines() if line.strip().startswith("- ")]


def nlu_examples(files: Iterable[Path]) -> list[Example]:
    """Every intent example in Rasa NLU files; lookups, synonyms and regexes are skipped."""
    found: list[Example] = []
    for path in sorted(files):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in document.get("nlu") or []:
            intent = item.get("intent") if isinstance(item, dict) else None
            if intent and isinstance(item.get("examples"), str):
                found += [
                    Example(text, intent == DANGER_INTENT, f"nlu:{intent}")
                    for text in _listed(item["examples"])
                    if text
                ]
    return found


def own_examples(path: Path = OWN_TRAINING) -> list[Example]:
    """The gateway's phrasings: `danger_now` and `not_danger` lists."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Example(t, True, "own") for t in document["danger_now"]] + [
        Example(t, False, "own") for t in document["not_danger"]
    ]


def training_examples(nlu_dir: Path) -> list[Example]:
    """Both sources, one copy of each (text, label): Rasa's data may repeat a sentence."""
    unique: dict[tuple[str, bool], Example] = {}
    for example in [*nlu_examples(nlu_dir.glob("*.yml")), *own_examples()]:
        unique.setdefault((example.text.lower(), example.danger), example)
    return list(unique.values())


def listed_examples(path: Path) -> list[str]:
    """A held-out file: a YAML mapping whose `examples:` is a list of sentences."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(text) for text in document["examples"]]
