"""One working day, by nation, across holidays, closure days and clock changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from api.cases.service import response_deadline
from api.deadlines import WorkingCalendar, deadline_text, one_working_day_after
from api.org.profile import profile_for
from api.settings import REPO_ROOT, Settings

LONDON = ZoneInfo("Europe/London")
NINE_TO_FIVE = {day: (dt.time(9), dt.time(17)) for day in range(5)}


def calendar(
    nation: str = "ENG", closure_days: frozenset[dt.date] = frozenset()
) -> WorkingCalendar:
    return WorkingCalendar(tz=LONDON, nation=nation, hours=NINE_TO_FIVE, closure_days=closure_days)  # type: ignore[arg-type]


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


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


def test_emergency_deadline_is_now() -> None:
    now = dt.datetime(2026, 4, 2, 15, 30, tzinfo=dt.UTC)
    assert response_deadline("emergency", now, calendar()) == now
    assert response_deadline("priority", now, calendar()) == london(2026, 4, 7, 16, 30)


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


def test_deadline_text_for_emergency_and_new_year() -> None:
    assert deadline_text(london(2026, 4, 2, 16, 30), LONDON, emergency=True) == "straight away"
    assert (
        deadline_text(london(2027, 1, 4, 16, 30), LONDON, now=london(2026, 12, 31, 16, 30))
        == "by 4:30pm on Monday 4 January 2027"
    )
