"""The danger-word backstop: misspelt danger fires, housing words with danger in them do not."""

from __future__ import annotations

import pytest

from channels.danger import words

# The examples and the kinds it lists, typed the way people type in a hurry.
DANGER = [
    "my ex is outside with a cricket bat",
    "he turned up with a crowbar",
    "shes smashd the windw n sez shell kil me",
    "hes got a nife",
    "HES GOT A KNIFE",
    "he has a knif",
    "he sez hell kil me 2nite",
    "shes gonna kil me",
    "im bleedin",
    "hes chokin me",
    "he stabed me",
    "hes strangelin me",
    "he is threatnin me wiv a hammer",
    "hlep me pls",
    "HELP",
    "plz help",
    "he's poured petrol through the letterbox",
    "he's turned the gas on and won't let me out",
    "he tried to run me over",
    "he's holding my head under the water",
    "he's put something in my drink",
    "he just broke my nose",
    "he's hitting the kids right now",
    "he's locked me in the bedroom",
    "my ex is outside the house right now",
    "he's trying to get in through the window",
    "he strangled me last night",
    "i've swallowed a packet of paracetamol",
    "he says he'll drive us into the river with the kids in the back",
    "i'm her carer and her grandson is attacking the lady right now",
]

HOUSING = [
    "my son fixed the shelf with a hammer",
    "the plumber came with a hammer",
    "the boiler keeps dying on me",
    "this energy bill will be the death of me",
    "the tap is bleeding rust",
    "the knife drawer has come off",
    "the fire door won't close",
    "when is my gas safety check",
    "the rent increase is going to kill me",
    "the mould is choking us",
    "pest control to kill the rats please",
    "the window is smashed and needs boarding",
    "i've locked myself out",
    "the gun for the sealant was left behind",
    "someone set fire to the bins last night",
    "helo",
    "my partner strangled me last month",
    "he says he'll kill himself if I leave",
    "my partner won't let me go out on my own",
    "the lawnmower blade needs sharpening",
    "the cupboard fell and the kitchen knives went all over the floor",
    "these heating costs are murdering my budget",
    "the squirrels are attacking the loft insulation",
    "the roots are strangling the drains",
    "i cut my thumb on the broken tile",
    "he's cut me off from my family",
    "he's got into my facebook",
    "he broke the lock when he forced his way in last month",
]


@pytest.mark.parametrize("text", DANGER)
def test_danger_now_fires_however_it_is_typed(text: str) -> None:
    assert words.fires(text)


@pytest.mark.parametrize("text", HOUSING)
def test_housing_words_and_past_harm_do_not_fire(text: str) -> None:
    assert not words.fires(text)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        (
            "shes smashd the windw n sez shell kil me",
            "she's smashed the window and says she'll kill me",
        ),
        ("hes got a nife", "he's got a knife"),
        ("He\u2019s got a KNIFE!!!", "he's got a knife"),
        ("this bill will still fill", "this bill will still fill"),
    ],
)
def test_text_is_normalised_before_the_patterns_read_it(typed: str, read: str) -> None:
    assert words.normalise(typed) == read


def test_english_words_near_a_danger_word_are_never_corrected() -> None:
    protected = sorted(words.near_words())
    assert {"bill", "will", "fill", "hill", "skill"} <= set(protected)
    assert all(words.normalise(word) in (word, words.TEXT_SPEAK.get(word)) for word in protected)


def test_the_near_words_list_is_current_for_the_lexicon() -> None:
    """Each listed word is near a lexicon word and is not one itself (else: regenerate the list)."""
    for word in words.near_words():
        assert word not in words.LEXICON
        assert any(words.within_reach(word, lexeme) for lexeme in words.LEXICON), word


@pytest.mark.parametrize(
    ("token", "word", "reach"),
    [
        ("nife", "knife", True),
        ("kil", "kill", True),
        ("kinfe", "knife", True),  # a swap is one edit
        ("strangelin", "strangling", True),  # two edits for a long word
        ("gn", "gun", False),  # too short to guess
        ("kit", "kill", False),
    ],
)
def test_the_misspelling_rule(token: str, word: str, reach: bool) -> None:
    assert words.within_reach(token, word) is reach
