"""The NLU pipeline's own components: the sentence encoder featurizer and the intent classifier.

Each is driven as Rasa's graph drives it (create with its defaults under the config, train,
persist into a model storage, load back into a new instance, process), on a model storage under
pytest's temporary folder. The encoder is the real int8 MiniLM that `make danger-model` builds,
found where the Makefile says (QD_VAR_DIR, else the repository's var/); the words come from
Rasa's own WhitespaceTokenizer and the two CountVectorsFeaturizers of config.yml.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from itertools import cycle, islice
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
import skops.io
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import ACTION_NAME, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfTransformer

from bot.nlu.intent_classifier import WordsAndMeaningClassifier
from bot.nlu.sentence_encoder import BATCH, SentenceEncoderFeaturizer
from channels.danger.semantic import ENCODER_FILE, TOKENIZER_FILE

REPO = Path(__file__).resolve().parents[2]
BUILT_ENCODER = Path(os.environ.get("QD_VAR_DIR") or REPO / "var") / "models" / "danger"
DIMENSIONS = 384  # all-MiniLM-L6-v2's sentence vector

EXAMPLES = {
    "emergency": [
        "he is outside with a knife",
        "my partner is threatening to kill me",
        "he has a gun and is banging on the door",
        "she said she will hurt me tonight",
        "he is coming to get me right now",
        "I am scared he will stab me",
    ],
    "opening_hours": [
        "what time do you open",
        "when are you open",
        "are you open on saturday",
        "what are your opening hours",
        "when does the office close",
        "can I call you on sunday",
    ],
    "repair": [
        "my boiler is broken",
        "the roof is leaking",
        "there is damp and mould in the bedroom",
        "my heating does not work",
        "the toilet is blocked",
        "a window is smashed and needs fixing",
    ],
}
#: Phrasings the classifier never saw, each sharing few words with its intent's examples.
UNSEEN = {
    "he is waiting outside with a blade": "emergency",
    "when do you close today": "opening_hours",
    "water is coming through the ceiling": "repair",
}
TRAINED_C = 3.0  # not the default (10), so the loaded regression shows where its C came from

ENCODER = Resource("sentence_encoder")
CLASSIFIER = Resource("intent_classifier")

Component = TypeVar("Component", bound=GraphComponent)


def _config(cls: type[GraphComponent], config: dict[str, Any]) -> dict[str, Any]:
    """The component's defaults under the given config, as Rasa's GraphNode passes them."""
    return {**cls.get_default_config(), **config}


def create(
    cls: type[Component], storage: LocalModelStorage, resource: Resource, **config: Any
) -> Component:
    """A new untrained component, as the training graph makes it."""
    context = ExecutionContext(GraphSchema({}), node_name=resource.name)
    return cls.create(_config(cls, config), storage, resource, context)


def load(
    cls: type[Component], storage: LocalModelStorage, resource: Resource, **config: Any
) -> Component:
    """A trained component read back from the storage, as a model being run loads it."""
    context = ExecutionContext(GraphSchema({}), node_name=resource.name)
    return cls.load(_config(cls, config), storage, resource, context)


def meaning(message: Message) -> np.ndarray:
    """The message's sentence feature from the encoder, as one vector."""
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None, "the encoder gives one vector per message, not per token"
    assert sentence is not None, "the message has no sentence feature"
    return sentence.features[0]


def training_data() -> TrainingData:
    """EXAMPLES as new messages each time: featurizing adds to the messages it is given."""
    return TrainingData(
        [
            Message({TEXT: text, INTENT: intent})
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
    )


def build_folder(parent: Path, encoder_dir: Path, names: tuple[str, ...]) -> Path:
    """A folder holding a copy of only these files of the built encoder."""
    folder = parent / "built"
    folder.mkdir()
    for name in names:
        shutil.copyfile(encoder_dir / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def encoder_dir() -> Path:
    """The encoder `make danger-model` built; without it these tests fail, never skip."""
    missing = [
        name for name in (ENCODER_FILE, TOKENIZER_FILE) if not (BUILT_ENCODER / name).is_file()
    ]
    if missing:
        pytest.fail(
            f"The sentence encoder is not built in {BUILT_ENCODER} (missing {', '.join(missing)}):"
            " run `make danger-model`.",
            pytrace=False,
        )
    return BUILT_ENCODER


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalModelStorage:
    """One model's storage, shared by the module's trained components (as in one Rasa model)."""
    return LocalModelStorage(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def encoder(storage: LocalModelStorage, encoder_dir: Path) -> SentenceEncoderFeaturizer:
    """The featurizer as a trained model runs it: trained (encoder copied in), then loaded."""
    create(SentenceEncoderFeaturizer, storage, ENCODER, encoder_dir=str(encoder_dir)).train(
        TrainingData()
    )
    return load(SentenceEncoderFeaturizer, storage, ENCODER)


@pytest.fixture(scope="module")
def featurizers(
    storage: LocalModelStorage, encoder: SentenceEncoderFeaturizer
) -> list[GraphComponent]:
    """config.yml's components before the classifier, in order, trained on EXAMPLES."""
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    words = create(CountVectorsFeaturizer, storage, Resource("words"))
    ngrams = create(
        CountVectorsFeaturizer,
        storage,
        Resource("ngrams"),
        analyzer="char_wb",
        min_ngram=1,
        max_ngram=4,
    )
    data = training_data()
    tokenizer.process_training_data(data)
    words.train(data)
    ngrams.train(data)
    return [tokenizer, words, ngrams, encoder]


def featurize(components: list[GraphComponent], *texts: str) -> list[Message]:
    """New messages with these texts, as the pipeline hands them to the classifier."""
    messages = [Message({TEXT: text}) for text in texts]
    for component in components:
        component.process(messages)
    return messages


@pytest.fixture(scope="module")
def classifier(
    storage: LocalModelStorage, featurizers: list[GraphComponent]
) -> WordsAndMeaningClassifier:
    """Trained on the featurized EXAMPLES with C=TRAINED_C (training persists it)."""
    data = training_data()
    for component in featurizers:
        component.process_training_data(data)
    trained = create(WordsAndMeaningClassifier, storage, CLASSIFIER, C=TRAINED_C)
    trained.train(data)
    return trained


# The sentence encoder featurizer


def test_training_copies_the_encoder_into_the_model(tmp_path: Path, encoder_dir: Path) -> None:
    built = build_folder(tmp_path, encoder_dir, (ENCODER_FILE, TOKENIZER_FILE))
    storage = LocalModelStorage(tmp_path)

    trained = create(SentenceEncoderFeaturizer, storage, ENCODER, encoder_dir=str(built))
    assert trained.train(TrainingData()) == ENCODER
    shutil.rmtree(built)  # the model must run wherever it is copied, without the build

    with storage.read_from(ENCODER) as directory:
        for name in (ENCODER_FILE, TOKENIZER_FILE):
            assert filecmp.cmp(directory / name, encoder_dir / name, shallow=False), name
    (message,) = load(SentenceEncoderFeaturizer, storage, ENCODER).process(
        [Message({TEXT: "hello"})]
    )
    assert meaning(message).shape == (DIMENSIONS,)


def test_a_message_gets_a_unit_length_sentence_vector(encoder: SentenceEncoderFeaturizer) -> None:
    (message,) = encoder.process([Message({TEXT: "he is outside with a knife"})])

    vector = meaning(message)
    assert vector.shape == (DIMENSIONS,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)


def test_similar_meanings_are_closer_than_unrelated_ones(
    encoder: SentenceEncoderFeaturizer,
) -> None:
    texts = [
        "he is outside with a knife",
        "he's waiting outside with a blade",
        "what time do you open",
    ]
    knife, blade, opening = (
        meaning(m) for m in encoder.process([Message({TEXT: t}) for t in texts])
    )

    assert knife @ blade > max(knife @ opening, blade @ opening) + 0.3


def test_messages_without_text_are_left_alone(encoder: SentenceEncoderFeaturizer) -> None:
    """Rasa hands NLU components intent-only and action-only messages from the stories too."""
    spoken = Message({TEXT: "hello"})
    intent_only = Message({INTENT: "greet"})
    action_only = Message({ACTION_NAME: "utter_greet"})

    encoder.process([intent_only, spoken])
    encoder.process_training_data(TrainingData([action_only]))

    assert intent_only.features == []
    assert action_only.features == []
    assert meaning(spoken).shape == (DIMENSIONS,)


def test_a_pressed_buttons_payload_is_not_embedded(encoder: SentenceEncoderFeaturizer) -> None:
    """Rasa reads "/affirm" from the payload itself; typed words that look alike are embedded."""
    pressed, entities, typed = (
        Message({TEXT: "/affirm"}),
        Message({TEXT: '/inform{"place": "Leeds"}'}),
        Message({TEXT: "/affirm he is here"}),
    )
    encoder.process([pressed, entities, typed])

    assert not meaning(pressed).any() and not meaning(entities).any()
    assert meaning(pressed).shape == (DIMENSIONS,)
    assert float(np.linalg.norm(meaning(typed))) == pytest.approx(1.0, abs=1e-3)


def test_training_data_is_featurized_in_batches_each_with_its_own_vector(
    encoder: SentenceEncoderFeaturizer,
) -> None:
    examples = cycle(text for texts in EXAMPLES.values() for text in texts)
    # Distinct texts: TrainingData drops duplicate examples.
    texts = [f"{text}, number {n}" for n, text in enumerate(islice(examples, BATCH + 6))]
    data = TrainingData([Message({TEXT: text}) for text in texts])
    assert len(data.training_examples) == BATCH + 6

    encoder.process_training_data(data)

    alone = {text: meaning(encoder.process([Message({TEXT: text})])[0]) for text in texts}
    for example in data.training_examples:
        # int8 activations are quantised per batch, so padding moves a vector slightly
        assert meaning(example) @ alone[example.get(TEXT)] > 0.95


@pytest.mark.parametrize(
    "present", [(), (TOKENIZER_FILE,), (ENCODER_FILE,)], ids=["none", "no-encoder", "no-tokenizer"]
)
def test_training_without_the_built_encoder_says_how_to_build_it(
    tmp_path: Path, encoder_dir: Path, present: tuple[str, ...]
) -> None:
    built = build_folder(tmp_path, encoder_dir, present)
    featurizer = create(
        SentenceEncoderFeaturizer,
        LocalModelStorage(tmp_path),
        ENCODER,
        encoder_dir=str(built),
    )

    with pytest.raises(RasaException, match="make danger-model") as raised:
        featurizer.train(TrainingData())
    for name in {ENCODER_FILE, TOKENIZER_FILE} - set(present):
        assert name in str(raised.value)


def test_an_untrained_featurizer_refuses_to_featurize(tmp_path: Path) -> None:
    untrained = create(SentenceEncoderFeaturizer, LocalModelStorage(tmp_path), ENCODER)

    with pytest.raises(RasaException, match="before it was trained"):
        untrained.process([Message({TEXT: "hello"})])


# The words-and-meaning intent classifier


def test_a_loaded_classifier_reads_unseen_phrasings(
    classifier: WordsAndMeaningClassifier,
    storage: LocalModelStorage,
    featurizers: list[GraphComponent],
) -> None:
    loaded = load(WordsAndMeaningClassifier, storage, CLASSIFIER)
    messages = loaded.process(featurize(featurizers, *UNSEEN))

    for message, intent in zip(messages, UNSEEN.values(), strict=True):
        ranking = message.get(INTENT_RANKING_KEY)
        assert message.get(INTENT)["name"] == intent, message.get(TEXT)
        assert ranking[0] == message.get(INTENT)
        assert {r["name"] for r in ranking} == set(EXAMPLES)
        assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    # The same answers as the instance that was trained: weighting and regression both persisted.
    again = classifier.process(featurize(featurizers, *UNSEEN))
    assert [m.get(INTENT_RANKING_KEY) for m in again] == [
        m.get(INTENT_RANKING_KEY) for m in messages
    ]


def test_an_empty_message_is_read_not_refused(
    classifier: WordsAndMeaningClassifier, featurizers: list[GraphComponent]
) -> None:
    """Rasa strips "   " to "": the counts read it, so the meaning must be there too."""
    (message,) = classifier.process(featurize(featurizers, ""))

    assert meaning(message).shape == (DIMENSIONS,)
    assert message.get(INTENT)["name"] in EXAMPLES


def test_C_comes_from_the_config_and_is_kept_in_the_model(
    classifier: WordsAndMeaningClassifier, storage: LocalModelStorage, tmp_path: Path
) -> None:
    fresh = LocalModelStorage(tmp_path)
    assert create(WordsAndMeaningClassifier, fresh, CLASSIFIER).clf.C == 10.0
    assert create(WordsAndMeaningClassifier, fresh, CLASSIFIER, C=0.25).clf.C == 0.25

    assert classifier.clf.C == TRAINED_C
    # Loaded under the default config: the C it was trained with comes from the model.
    assert load(WordsAndMeaningClassifier, storage, CLASSIFIER).clf.C == TRAINED_C


def test_counts_are_weighted_so_words_weigh_no_more_than_meaning(
    classifier: WordsAndMeaningClassifier, featurizers: list[GraphComponent]
) -> None:
    """tf-idf rows have unit length, as the meaning has: a long message's counts do not drown it."""
    text = "my boiler is broken " * 20
    (message,) = featurize(featurizers, text)
    counts = message.get_sparse_features(TEXT)[1].features

    row = classifier._create_X([message]).toarray()[0]
    words, meant = row[: counts.shape[1]], row[counts.shape[1] :]
    assert counts.max() >= 20  # raw, each word counted twenty times
    assert np.linalg.norm(words) == pytest.approx(1.0)
    assert np.allclose(meant, meaning(message))


@pytest.mark.parametrize(
    ("stages", "missing"),
    [(slice(0, 3), "sentence encoder"), (slice(3, 4), "count features")],
    ids=["no-meaning", "no-words"],
)
def test_a_message_missing_a_kind_of_feature_is_refused(
    classifier: WordsAndMeaningClassifier,
    featurizers: list[GraphComponent],
    stages: slice,
    missing: str,
) -> None:
    messages = featurize(featurizers[stages], "he is waiting outside with a blade")

    with pytest.raises(RasaException, match=missing):
        classifier.process(messages)


class Untrusted:
    """A type skops has no reason to trust, as a tampered or foreign model file could hold."""


def test_a_model_file_holding_an_untrusted_type_is_refused_not_replaced(tmp_path: Path) -> None:
    """Rasa's own loader would quietly start an untrained classifier here."""
    storage = LocalModelStorage(tmp_path)
    with storage.write_to(CLASSIFIER) as directory:
        skops.io.dump(
            {"weighting": TfidfTransformer(), "regression": Untrusted()},
            directory / f"{CLASSIFIER.name}.skops",
        )

    with pytest.raises(RasaException, match=f"{__name__}.Untrusted"):
        load(WordsAndMeaningClassifier, storage, CLASSIFIER)
