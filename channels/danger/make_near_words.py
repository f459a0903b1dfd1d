"""Write near_words.txt: English words the misspelling rule must leave alone.

Run it again whenever `words.LEXICON` or `words.within_reach` changes, with an English word list
(Debian's `wbritish` package puts one at /usr/share/dict/british-english):

    python -m channels.danger.make_near_words /usr/share/dict/british-english

Without the list, "bill" would become "kill", "will" would too, and "still" "stab".
"""

from __future__ import annotations

import sys
from pathlib import Path

from channels.danger import words

HEADER = """\
# English words within reach of a danger word (channels/danger/words.py), which are never
# corrected into it. Made by `python -m channels.danger.make_near_words <word list>` from
# Debian's wbritish list; edit by regenerating, not by hand.
"""


def near(vocabulary: set[str]) -> list[str]:
    """The words of `vocabulary` that the fuzzy rule would otherwise turn into a lexicon word."""
    return sorted(
        word
        for word in vocabulary
        if word not in words.LEXICON
        and any(words.within_reach(word, lexeme) for lexeme in words.LEXICON)
    )


def main(word_list: Path) -> None:
    lines = word_list.read_text(encoding="utf-8").splitlines()
    vocabulary = {line.strip().lower() for line in lines if line.strip().isalpha()}
    out = Path(words.__file__).with_name("near_words.txt")
    out.write_text(HEADER + "\n".join(near(vocabulary)) + "\n", encoding="utf-8")
    print(f"{out}: {len(near(vocabulary))} words")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
