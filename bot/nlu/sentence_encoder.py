"""What a whole message means, as a vector: the gateway's sentence encoder inside Rasa's NLU.

Rasa's DIET learned meaning from our 1,200 examples alone and read one unseen phrasing in three
wrong (cross-validated weighted F1 0.67); a sentence encoder trained on a billion sentence pairs
already knows that "he's waiting outside with a bat" and "he is outside with a weapon" mean much
the same. It is the int8 ONNX all-MiniLM-L6-v2 that `make` builds for the gateway's danger check
(channels/danger/build.py): one encoder, a few milliseconds a message on one core, no
TensorFlow at run time and no download.

Training copies the encoder into the Rasa model, so a trained model carries what it was trained
with and runs wherever it is copied. Every message with a text is featurised, an empty one too
(the count featurisers read it, and the classifier needs both).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from channels.danger.semantic import ENCODER_FILE, TOKENIZER_FILE, Encoder, is_payload

BATCH = 64  # training examples embedded at once


def built_encoder_dir() -> Path:
    """Where `make` builds the encoder: <QD_VAR_DIR>/models/danger (var/ by default)."""
    return Path(os.environ.get("QD_VAR_DIR", "var")) / "models" / "danger"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the encoder's unit-length vector of each message's text as its sentence feature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "encoder_dir": None}

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    def __init__(
        self,
        config: dict[str, Any],
        execution_context: ExecutionContext,
        model_storage: ModelStorage,
        resource: Resource,
        encoder: Encoder | None = None,
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._encoder = encoder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(config, execution_context, model_storage, resource)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check here: a missing encoder is reported when training starts."""

    def train(self, training_data: TrainingData) -> Resource:
        """Copy the built encoder into the model; Rasa then loads it from there."""
        source = Path(self._config["encoder_dir"] or built_encoder_dir())
        missing = [name for name in (ENCODER_FILE, TOKENIZER_FILE) if not (source / name).is_file()]
        if missing:
            raise RasaException(
                f"The sentence encoder is not built in {source} (missing {', '.join(missing)}):"
                " run `make danger-model` first."
            )
        with self._model_storage.write_to(self._resource) as directory:
            for name in (ENCODER_FILE, TOKENIZER_FILE):
                shutil.copyfile(source / name, directory / name)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceEncoderFeaturizer:
        with model_storage.read_from(resource) as directory:
            encoder = Encoder(directory)  # reads both files now; the folder may go afterwards
        return cls(config, execution_context, model_storage, resource, encoder)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The encoder's bytes: Rasa retrains when `make` builds a different encoder."""
        source = Path(config.get("encoder_dir") or built_encoder_dir())
        digest = hashlib.sha256()
        for name in (ENCODER_FILE, TOKENIZER_FILE):
            if (source / name).is_file():
                digest.update((source / name).read_bytes())
        return digest.hexdigest()

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurise messages as they arrive (one, at run time)."""
        self._featurize([m for m in messages if m.get(TEXT) is not None])
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        examples = training_data.training_examples
        self._featurize([m for m in examples if m.get(TEXT) is not None])
        return training_data

    def _featurize(self, messages: list[Message]) -> None:
        """Typed text is embedded; a pressed button's payload gets the zero vector.

        Rasa reads a payload's intent from the payload itself (RegexMessageHandler, after the
        classifier), so its meaning is never used: embedding it would only cost time.
        """
        if self._encoder is None:
            raise RasaException("SentenceEncoderFeaturizer was used before it was trained.")
        typed: list[Message] = []
        nothing = np.zeros((1, self._encoder.dimensions), dtype=np.float32)
        for message in messages:
            if is_payload(message.get(TEXT)):
                self.add_features_to_message(None, nothing, TEXT, message)
            else:
                typed.append(message)
        for start in range(0, len(typed), BATCH):
            batch = typed[start : start + BATCH]
            vectors = self._encoder.embed([m.get(TEXT) for m in batch])
            for message, vector in zip(batch, vectors, strict=True):
                self.add_features_to_message(
                    sequence=None, sentence=vector[None, :], attribute=TEXT, message=message
                )
