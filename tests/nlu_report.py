"""Print the NLU summary that `make test-nlu` keeps under var/reports/, and guard emergencies.

The full reports (per-intent precision, recall, confusion) stay on disk as the artifact; this
prints the lines a reviewer reads first: overall F1 and the intents that carry safety. With
`--min-emergency-recall`, a held-out run fails when too many unseen emergencies are missed; with
`--min-weighted-f1`, cross-validation fails when the model reads too few unseen examples right.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SAFETY_INTENTS = ("emergency", "report_abuse", "third_party_concern", "housing_question")


def load(report_dir: Path) -> dict:
    return json.loads((report_dir / "intent_report.json").read_text(encoding="utf-8"))


def summary(report: dict) -> list[str]:
    weighted = report.get("weighted avg", {})
    lines = [f"weighted F1 {weighted.get('f1-score', 0):.3f}"]
    for intent in (*SAFETY_INTENTS, *sorted(i for i in report if i.startswith("helpline_"))):
        scores = report.get(intent)
        if isinstance(scores, dict):
            lines.append(
                f"  {intent:<22} precision {scores['precision']:.3f}  recall {scores['recall']:.3f}"
                f"  f1 {scores['f1-score']:.3f}  (n={scores['support']})"
            )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("--min-emergency-recall", type=float, default=0.0)
    parser.add_argument("--min-weighted-f1", type=float, default=0.0)
    args = parser.parse_args()
    report = load(args.report_dir)
    print(f"NLU report {args.report_dir}:")
    print("\n".join(summary(report)))
    recall = report.get("emergency", {}).get("recall", 0.0)
    if recall < args.min_emergency_recall:
        print(f"emergency recall {recall:.3f} < {args.min_emergency_recall}", file=sys.stderr)
        return 1
    f1 = report.get("weighted avg", {}).get("f1-score", 0.0)
    if f1 < args.min_weighted_f1:
        print(f"weighted F1 {f1:.3f} < {args.min_weighted_f1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
