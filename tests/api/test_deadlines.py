"""One working day, by nation, across holidays, closure days and clock changes; whether the team
is working now; and deadline words that never promise more than the working day."""

from __future__ import annotations

import datetime as dt

import pytest

from api.deadlines import (
    WorkingCalendar,
    deadline_text,
    next_opening,
    one_working_day_after,
    team_open_at,
)
from api.org.profile import profile_for
from api.settings import REPO_ROOT, Settings
from tests.timing_cases import LONDON, london, promises_in

NINE_TO_FIVE = {day: (dt.time(9), dt.time(17)) for day in range(5)}


def calendar(
    nation: str = "ENG", closure_days: frozenset[dt.date] = frozenset()
) -> WorkingCalendar:
    return WorkingCalendar(tz=LONDON, nation=nation, hours=NINE_TO_FIVE, closure_days=closure_days)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("nation", "expected"),
    [
        ("ENG", london(2026, 4, 7, 16, 30)),
        ("WLS", london(2026, 4, 7, 16, 30)),
        ("NIR", london(2026, 4, 7, 16, 30)),
        ("SCT", london(2026, 4, 6, 16, 30)),  # Easter Monday is not a Scottish bank holiday
    ],
)
def test_thursday_before_easter_by_nation(nation: str, expected: dt.datetime) -> None:
    assert one_working_day_after(london(2026, 4, 2, 16, 30), calendar(nation)) == expected


def test_report_given_in_utc_is_read_in_london_time() -> None:
    reported = dt.datetime(2026, 4, 2, 15, 30, tzinfo=dt.UTC)  # 16:30 BST
    assert one_working_day_after(reported, calendar()) == london(2026, 4, 7, 16, 30)


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        (london(2026, 11, 20, 19, 0), london(2026, 11, 23, 17, 0)),  # Friday evening -> Monday 5pm
        (london(2026, 11, 21, 11, 0), london(2026, 11, 23, 17, 0)),  # Saturday -> Monday 5pm
        (london(2026, 11, 24, 8, 0), london(2026, 11, 24, 17, 0)),  # before opening -> same day
        (london(2026, 11, 24, 9, 0), london(2026, 11, 24, 17, 0)),  # at opening -> closing
        (london(2026, 11, 24, 10, 15), london(2026, 11, 25, 10, 15)),  # in hours -> next day
        (london(2026, 11, 24, 17, 0), london(2026, 11, 25, 17, 0)),  # at closing -> next day
        (london(2026, 11, 27, 16, 59), london(2026, 11, 30, 16, 59)),  # Friday -> Monday
    ],
)
def test_ordinary_weeks(reported: dt.datetime, expected: dt.datetime) -> None:
    assert one_working_day_after(reported, calendar()) == expected


@pytest.mark.parametrize("nation", ["ENG", "WLS", "SCT", "NIR"])
def test_christmas_2026_skips_christmas_and_substitute_boxing_day(nation: str) -> None:
    # 25 Dec is a Friday; Boxing Day (Saturday) is observed on Monday 28 Dec everywhere.
    assert one_working_day_after(london(2026, 12, 24, 16, 30), calendar(nation)) == london(
        2026, 12, 29, 16, 30
    )


@pytest.mark.parametrize(
    ("nation", "expected"),
    [
        ("ENG", london(2027, 1, 4, 16, 30)),
        ("WLS", london(2027, 1, 4, 16, 30)),
        ("NIR", london(2027, 1, 4, 16, 30)),
        ("SCT", london(2027, 1, 5, 16, 30)),  # 2 January (a Saturday) is observed on Monday 4th
    ],
)
def test_new_year_2027_by_nation(nation: str, expected: dt.datetime) -> None:
    assert one_working_day_after(london(2026, 12, 31, 16, 30), calendar(nation)) == expected


def test_scotland_new_year_holiday_2026() -> None:
    # 1 and 2 January 2026 are Thursday and Friday: both Scottish bank holidays, only the 1st
    # is one in England.
    reported = london(2025, 12, 31, 16, 30)
    assert one_working_day_after(reported, calendar("SCT")) == london(2026, 1, 5, 16, 30)
    assert one_working_day_after(reported, calendar("ENG")) == london(2026, 1, 2, 16, 30)


def test_closure_day_is_not_a_working_day() -> None:
    closed = calendar(closure_days=frozenset({dt.date(2026, 12, 24)}))
    assert one_working_day_after(london(2026, 12, 23, 16, 30), closed) == london(
        2026, 12, 29, 16, 30
    )
    assert one_working_day_after(london(2026, 12, 23, 16, 30), calendar()) == london(
        2026, 12, 24, 16, 30
    )


def test_clocks_going_forward() -> None:
    # Clocks go forward on Sunday 29 March 2026: Friday 16:30 GMT -> Monday 16:30 BST.
    deadline = one_working_day_after(london(2026, 3, 27, 16, 30), calendar())
    assert deadline == london(2026, 3, 30, 16, 30)
    assert deadline.utcoffset() == dt.timedelta(hours=1)
    assert deadline.astimezone(dt.UTC).hour == 15


def test_clocks_going_back() -> None:
    # Clocks go back on Sunday 25 October 2026: Friday 16:30 BST -> Monday 16:30 GMT.
    deadline = one_working_day_after(london(2026, 10, 23, 16, 30), calendar())
    assert deadline == london(2026, 10, 26, 16, 30)
    assert deadline.utcoffset() == dt.timedelta(0)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        one_working_day_after(dt.datetime(2026, 4, 2, 16, 30), calendar())


def test_no_working_days_is_a_clear_error() -> None:
    shut = WorkingCalendar(tz=LONDON, nation="ENG", hours={})
    with pytest.raises(ValueError, match="office hours"):
        one_working_day_after(london(2026, 4, 2, 16, 30), shut)


def _working_minutes(start: dt.datetime, end: dt.datetime, cal: WorkingCalendar) -> int:
    """Brute force, in 5-minute steps: how much office time lies between two instants."""
    minutes, moment = 0, start
    while moment < end:
        window = cal.office_window(moment.astimezone(LONDON).date())
        if window and window[0] <= moment < window[1]:
            minutes += 5
        moment += dt.timedelta(minutes=5)
    return minutes


@pytest.mark.parametrize("nation", ["ENG", "SCT"])
def test_always_exactly_one_working_day_of_office_time(nation: str) -> None:
    cal = calendar(nation, closure_days=frozenset({dt.date(2026, 12, 24)}))
    reported = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    while reported.year == 2026:
        deadline = one_working_day_after(reported, cal)
        opens, closes = cal.office_window(deadline.date()) or (None, None)
        assert opens is not None and opens < deadline <= closes, reported
        assert _working_minutes(reported, deadline, cal) == 8 * 60, reported
        reported += dt.timedelta(hours=41, minutes=35)


def test_calendar_from_the_organisation_profile() -> None:
    profile = profile_for(Settings(org="stonewater", org_dir=REPO_ROOT / "orgs"))
    cal = WorkingCalendar.from_profile(profile)
    assert cal.nation == profile.nation
    assert not cal.is_working_day(dt.date(2026, 4, 4))  # a Saturday
    assert cal.is_working_day(dt.date(2026, 4, 8))


@pytest.mark.parametrize(
    ("deadline", "text"),
    [
        (london(2026, 11, 24, 16, 30), "by 4:30pm on Tuesday 24 November"),
        (london(2026, 11, 23, 17, 0), "by 5pm on Monday 23 November"),
        (london(2026, 11, 23, 9, 5), "by 9:05am on Monday 23 November"),
        (london(2026, 11, 23, 12, 0), "by midday on Monday 23 November"),
    ],
)
def test_deadline_in_plain_english(deadline: dt.datetime, text: str) -> None:
    assert deadline_text(deadline.astimezone(dt.UTC), LONDON) == text


def test_deadline_text_names_the_year_only_when_it_changes() -> None:
    assert (
        deadline_text(london(2027, 1, 4, 16, 30), LONDON, now=london(2026, 12, 31, 16, 30))
        == "by 4:30pm on Monday 4 January 2027"
    )


def test_deadline_text_is_always_a_day_and_a_time() -> None:
    """Every report moment of a year, out of hours included: a weekday, a date, a clock time."""
    cal = calendar()
    reported = london(2026, 1, 1)
    while reported.year == 2026:
        text = deadline_text(one_working_day_after(reported, cal), LONDON, now=reported)
        assert text.startswith("by ") and " on " in text, text
        assert "today" not in text and "tomorrow" not in text
        assert promises_in(text) == [], text
        reported += dt.timedelta(hours=7, minutes=13)


@pytest.mark.parametrize(
    ("nation", "moment", "open_now"),
    [
        ("ENG", london(2026, 11, 24, 10, 15), True),  # a Tuesday morning
        ("ENG", london(2026, 11, 24, 9, 0), True),  # opening time is open
        ("ENG", london(2026, 11, 24, 8, 59), False),
        ("ENG", london(2026, 11, 24, 17, 0), False),  # closing time is closed
        ("ENG", london(2026, 11, 24, 2, 0), False),  # night
        ("ENG", london(2026, 12, 5, 11, 0), False),  # Saturday
        ("ENG", london(2026, 4, 6, 11, 0), False),  # Easter Monday, a bank holiday in England
        ("SCT", london(2026, 4, 6, 11, 0), True),  # ... but not in Scotland
        ("SCT", london(2026, 1, 2, 11, 0), False),  # 2 January, a bank holiday in Scotland
        ("ENG", london(2026, 1, 2, 11, 0), True),  # ... but not in England
    ],
)
def test_team_open_at(nation: str, moment: dt.datetime, open_now: bool) -> None:
    assert team_open_at(moment, calendar(nation)) is open_now
    assert team_open_at(moment.astimezone(dt.UTC), calendar(nation)) is open_now


def test_team_open_at_respects_closure_days() -> None:
    closed = calendar(closure_days=frozenset({dt.date(2026, 12, 24)}))
    assert not team_open_at(london(2026, 12, 24, 11, 0), closed)
    assert team_open_at(london(2026, 12, 24, 11, 0), calendar())


@pytest.mark.parametrize(
    ("nation", "moment", "opening"),
    [
        ("ENG", london(2026, 11, 24, 10, 15), london(2026, 11, 24, 10, 15)),  # open: now
        ("ENG", london(2026, 11, 24, 2, 0), london(2026, 11, 24, 9, 0)),  # night: this morning
        ("ENG", london(2026, 11, 24, 17, 0), london(2026, 11, 25, 9, 0)),  # closing: tomorrow
        ("ENG", london(2026, 12, 5, 2, 0), london(2026, 12, 7, 9, 0)),  # Saturday: Monday
        ("ENG", london(2026, 4, 3, 18, 0), london(2026, 4, 7, 9, 0)),  # Good Friday to Tuesday
        ("SCT", london(2026, 4, 3, 18, 0), london(2026, 4, 6, 9, 0)),  # ... to Easter Monday
        ("SCT", london(2026, 1, 1, 18, 0), london(2026, 1, 5, 9, 0)),  # skips 2 January
    ],
)
def test_next_opening(nation: str, moment: dt.datetime, opening: dt.datetime) -> None:
    assert next_opening(moment, calendar(nation)) == opening


def test_open_and_next_opening_refuse_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        team_open_at(dt.datetime(2026, 4, 2, 16, 30), calendar())
    with pytest.raises(ValueError, match="aware"):
        next_opening(dt.datetime(2026, 4, 2, 16, 30), calendar())
