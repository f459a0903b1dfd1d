"""Precision and recall of the gateway's danger check on held-out sentences (`make test-danger`).

The sets in tests/heldout were written apart from the training data, by another hand. For each
detector: the words alone (`words.fires` is NOW), the classifier alone (its two cut-offs), both
together as the gateway runs them (`assess`), and, when Rasa's readings of the same sentences are
given with `--rasa` (`tests/heldout_intents.py` writes them), the whole product: the gateway's
check or Rasa's `emergency` intent, which answers with the emergency reply too.

A danger sentence counts as caught when it gets NOW or POSSIBLE: either way the person sees 999
(first, or as the line after the reply). NOW recall is printed beside it. Precision is of NOW,
against the danger set's sentences and every non-danger set of its group (not_danger, pure
housing, indirect disclosures, disclosures). The gate (exit 1): every danger sentence of the dev
set caught by the gateway's own check (it answers before Rasa, and when Rasa is down) and by the
whole product when Rasa's readings are given; and no non-danger set with more than 5% NOW from
the gateway. The final sets are reported, not gated: a gate on them would invite tuning on them,
and then they would measure nothing. When a final figure falls short, a later round moves the
final sets into dev and a new hand writes new final ones.

Missed and falsely alarmed dev sentences are printed, to improve the detector in general ways;
final sentences are only counted, never printed, so nothing is tuned on them.

Tuned against dev (the first version was committed before any held-out set was read; each
change is general, written in our own words, never a held-out sentence):
- words: "my <anything>" no longer counts as a person ("murdering my electric bill", "cut my
  finger"); a weapon fires only when someone has, holds or uses it ("knives went everywhere",
  "the mower's blade"); pests and plants that kill, attack or strangle are removed first;
  strangling needs a person; "cut me off", "kill himself whenever I...", "got into my email" are
  not danger now; new patterns for overdoses and self-harm now, threats to crash a car with
  people in it, and attacks seen or heard by someone else (a carer, a neighbour).
- training.yml: phrasings of those kinds (self-harm now, car threats, people at work who see an
  attack), and negatives the classifier confused: control and fear with nothing happening now,
  text-speak that is not danger (every text-speak example had been a danger one), idioms.
- build.py: the classifier's NOW cut-off from 1 in 100 to 1 in 200 non-danger training
  sentences (disclosures got NOW from the classifier alone 7-8% of the time on dev).
Final sets: never printed, never tuned on; their figures are as they came out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from api.settings import REPO_ROOT
from channels.danger import words
from channels.danger.assess import Danger, assess, classifier, classifier_level
from channels.danger.examples import listed_examples

HELDOUT = REPO_ROOT / "tests" / "heldout"
SHARED_NEGATIVES = ("pure_housing", "indirect_disclosure", "disclosures")
GROUPS = {
    "dev": ("danger_dev", ("not_danger_dev", *SHARED_NEGATIVES)),
    "final": ("danger_final", ("not_danger_final", *SHARED_NEGATIVES)),
}
MAX_NOW_RATE = 0.05

Detector = Callable[[str], Danger]


@dataclass(frozen=True)
class Rates:
    now: float
    caught: float  # NOW or POSSIBLE


def words_alone(text: str) -> Danger:
    return Danger.NOW if words.fires(text) else Danger.NONE


def with_rasa(rasa_emergency: set[str]) -> Detector:
    def detect(text: str) -> Danger:
        return Danger.NOW if text in rasa_emergency else assess(text)

    return detect


def rasa_emergencies(path: Path) -> set[str]:
    """Texts Rasa read as `emergency`, from `tests/heldout_intents.py`'s predictions.json."""
    sets = json.loads(path.read_text(encoding="utf-8"))
    return {row["text"] for rows in sets.values() for row in rows if row["intent"] == "emergency"}


def rates(levels: list[Danger]) -> Rates:
    count = max(len(levels), 1)
    now = sum(level is Danger.NOW for level in levels)
    caught = sum(level is not Danger.NONE for level in levels)
    return Rates(now / count, caught / count)


def precision(danger: list[Danger], others: list[list[Danger]]) -> float:
    true = sum(level is Danger.NOW for level in danger)
    false = sum(level is Danger.NOW for levels in others for level in levels)
    return true / (true + false) if true + false else 0.0


def load(name: str) -> list[str] | None:
    path = HELDOUT / f"{name}.yml"
    return listed_examples(path) if path.exists() else None


def report(detectors: dict[str, Detector]) -> list[str]:
    """Print the tables; return the gate's failures (empty: pass)."""
    failures: list[str] = []
    for group, (danger_name, negative_names) in GROUPS.items():
        danger = load(danger_name)
        if danger is None:
            failures.append(f"{danger_name}.yml is missing")
            continue
        negatives = {name: texts for name in negative_names if (texts := load(name)) is not None}
        print(
            f"\n{group}: {danger_name} ({len(danger)}) against "
            + ", ".join(f"{name} ({len(texts)})" for name, texts in negatives.items())
        )
        print(f"  {'detector':<16}{'caught':>8}{'NOW rec':>9}{'NOW prec':>10}  NOW / caught rate")
        for label, detect in detectors.items():
            levels = [detect(text) for text in danger]
            other = {name: [detect(text) for text in texts] for name, texts in negatives.items()}
            found = rates(levels)
            alarms = "  ".join(
                f"{name} {rates(ls).now:.0%}/{rates(ls).caught:.0%}" for name, ls in other.items()
            )
            print(
                f"  {label:<16}{found.caught:>8.3f}{found.now:>9.3f}"
                f"{precision(levels, list(other.values())):>10.3f}  {alarms}"
            )
            if group == "dev" and label in ("combined", "with Rasa") and found.caught < 1.0:
                failures.append(f"{group}: {label} caught {found.caught:.3f} < 1.0")
            if label != "combined":
                continue
            failures += [
                f"{group}: {name} NOW {rates(ls).now:.1%} > {MAX_NOW_RATE:.0%}"
                for name, ls in other.items()
                if rates(ls).now > MAX_NOW_RATE
            ]
            if group == "dev":
                _print_dev_mistakes(danger, levels, other, negatives)
    return failures


def _print_dev_mistakes(
    danger: list[str],
    levels: list[Danger],
    other: dict[str, list[Danger]],
    negatives: dict[str, list[str]],
) -> None:
    for text, level in zip(danger, levels, strict=True):
        if level is Danger.NONE:
            print(f"    missed: {text}")
    for name, texts in negatives.items():
        for text, level in zip(texts, other[name], strict=True):
            if level is Danger.NOW:
                print(f"    NOW on {name}: {text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rasa",
        type=Path,
        help="predictions.json written by tests.heldout_intents for the same held-out sentences",
    )
    args = parser.parse_args()
    if classifier() is None:
        print("danger classifier not built: run `make danger-model`", file=sys.stderr)
        return 1
    detectors: dict[str, Detector] = {
        "words": words_alone,
        "classifier": classifier_level,
        "combined": assess,
    }
    if args.rasa:
        detectors["with Rasa"] = with_rasa(rasa_emergencies(args.rasa))
    print("Danger check on held-out sentences (caught = NOW or POSSIBLE: 999 shown either way)")
    failures = report(detectors)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
