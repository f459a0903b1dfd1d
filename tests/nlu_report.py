"""Print the NLU cross-validation summary that `make test-nlu` keeps under var/reports/nlu-cv.

The full report (per-intent precision, recall, confusion) stays on disk as the artifact; this
prints the lines a reviewer reads first: overall F1 and the intents that carry safety.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SAFETY_INTENTS = ("emergency", "report_abuse", "third_party_concern", "housing_question")


def summary(report_dir: Path) -> list[str]:
    report = json.loads((report_dir / "intent_report.json").read_text(encoding="utf-8"))
    weighted = report.get("weighted avg", {})
    lines = [f"NLU cross-validation (weighted F1): {weighted.get('f1-score', 0):.3f}"]
    for intent in (*SAFETY_INTENTS, *sorted(i for i in report if i.startswith("helpline_"))):
        scores = report.get(intent)
        if isinstance(scores, dict):
            lines.append(
                f"  {intent:<22} precision {scores['precision']:.3f}  recall {scores['recall']:.3f}"
                f"  f1 {scores['f1-score']:.3f}  (n={scores['support']})"
            )
    return lines


if __name__ == "__main__":
    print("\n".join(summary(Path(sys.argv[1]))))
