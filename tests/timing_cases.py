"""Moments the timing tests freeze the clock at, and what Stonewater's calendar says then.

Stonewater works 9am to 5pm, Monday to Friday. The same moments drive the case service's answer
and the staff e-mails, so both are checked against one table: at night, at the weekend, on a bank
holiday that England and Scotland keep differently, and in office hours.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from api.settings import REPO_ROOT

LONDON = ZoneInfo("Europe/London")
#: Words that promise contact sooner than anyone can make it.
PROMISES_NOBODY_KEEPS = ("straight away", "immediately", "right away", "as soon as possible")
#: The nation's 24-hour line (orgs/helplines.yml).
ROUND_THE_CLOCK = {"ENG": "0808 2000 247", "SCT": "0800 027 1234"}
#: An out-of-hours service as a landlord that has one would write it.
OUT_OF_HOURS = (
    "out_of_hours:\n  name: Example Housing out-of-hours line\n  contact: '0300 000 0000'\n"
    "  hours: evenings, weekends and bank holidays\n  verified: false"
)


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


@dataclass(frozen=True)
class Moment:
    label: str
    nation: str
    at: dt.datetime
    team_open: bool
    deadline_text: str
    #: How the staff e-mail says when the team next works.
    team_words: str


MOMENTS = (
    Moment(
        "night",
        "ENG",
        london(2026, 11, 24, 2, 0),
        False,
        "by 5pm on Tuesday 24 November",
        "The team is next working at 9am on Tuesday 24 November.",
    ),
    Moment(
        "weekend",
        "ENG",
        london(2026, 12, 5, 2, 0),
        False,
        "by 5pm on Monday 7 December",
        "The team is next working at 9am on Monday 7 December.",
    ),
    Moment(
        "office hours",
        "ENG",
        london(2026, 11, 24, 10, 15),
        True,
        "by 10:15am on Wednesday 25 November",
        "The team is working now.",
    ),
    Moment(
        "Easter Monday, England",
        "ENG",
        london(2026, 4, 6, 10, 0),
        False,
        "by 5pm on Tuesday 7 April",
        "The team is next working at 9am on Tuesday 7 April.",
    ),
    Moment(
        "Easter Monday, Scotland",
        "SCT",
        london(2026, 4, 6, 10, 0),
        True,
        "by 10am on Tuesday 7 April",
        "The team is working now.",
    ),
    Moment(
        "2 January, Scotland",
        "SCT",
        london(2026, 1, 2, 10, 0),
        False,
        "by 5pm on Monday 5 January",
        "The team is next working at 9am on Monday 5 January.",
    ),
    Moment(
        "2 January, England",
        "ENG",
        london(2026, 1, 2, 10, 0),
        True,
        "by 10am on Monday 5 January",
        "The team is working now.",
    ),
)
MOMENT_IDS = [m.label for m in MOMENTS]


def orgs_in(tmp_path: Path, nation: str, *, out_of_hours: str | None = None) -> Path:
    """A copy of `orgs/` whose Stonewater profile is in `nation`, with an out-of-hours entry."""
    target = tmp_path / f"orgs-{nation}"
    if not target.exists():
        shutil.copytree(REPO_ROOT / "orgs", target)
    path = target / "stonewater.yml"
    text = path.read_text().replace("nation: ENG", f"nation: {nation}", 1)
    if out_of_hours is not None:
        text = text.replace("out_of_hours: null", out_of_hours, 1)
    path.write_text(text)
    return target


def promises_in(text: str) -> list[str]:
    lowered = text.lower()
    return [p for p in PROMISES_NOBODY_KEEPS if p in lowered]
