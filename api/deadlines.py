"""When "one working day" ends, and how to say it in plain English.

The landlords promise a response within one working day (Stonewater 5.3). That is read as: the
length of the organisation's working day, counted only in office hours on working days, from the
moment of the report. Weekends come from the office hours, bank holidays from the nation of the
property (England, Wales, Scotland and Northern Ireland differ), plus the organisation's own
closure days. All arithmetic happens on aware datetimes, so clock changes cannot shift a deadline.
Pure functions: no clock, no database, no settings.

Neither landlord runs a 24-hour team, so nothing here promises contact sooner than the working
day allows: an emergency has the same deadline, and what the person is told about the time until
then (999, the 24-hour line) comes from `team_open_at` and the organisation profile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays

Nation = Literal["ENG", "WLS", "SCT", "NIR"]
MAX_DAYS_SEARCHED = 400


@dataclass(frozen=True)
class WorkingCalendar:
    """An organisation's working time: weekday (Monday=0) -> (opens, closes), local times."""

    tz: ZoneInfo
    nation: Nation
    hours: Mapping[int, tuple[dt.time, dt.time]]
    closure_days: Collection[dt.date] = field(default_factory=frozenset)

    @classmethod
    def from_profile(cls, profile: Any) -> WorkingCalendar:
        """Build from an `api.org.profile.OrgProfile`, duck-typed so this module stays pure."""
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        hours = {
            index: (h.opens, h.closes)
            for index, name in enumerate(days)
            if (h := profile.office_hours.get(name)) is not None
        }
        return cls(
            tz=ZoneInfo(profile.timezone),
            nation=profile.nation,
            hours=hours,
            closure_days=frozenset(profile.closure_days),
        )

    def is_working_day(self, day: dt.date) -> bool:
        return (
            day.weekday() in self.hours
            and day not in self.closure_days
            and day not in _bank_holidays(self.nation, day.year)
        )

    def office_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """Opening and closing instants of a working day, or None when the office is shut."""
        if not self.is_working_day(day):
            return None
        opens, closes = self.hours[day.weekday()]
        return (
            dt.datetime.combine(day, opens, tzinfo=self.tz),
            dt.datetime.combine(day, closes, tzinfo=self.tz),
        )


@lru_cache(maxsize=64)
def _bank_holidays(nation: Nation, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.UnitedKingdom(subdiv=nation, years=year).keys())


def _elapsed(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Real elapsed time between two aware instants (UTC subtraction, so DST-correct)."""
    return end.astimezone(dt.UTC) - start.astimezone(dt.UTC)


def one_working_day_after(reported_at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """The end of one working day counted from `reported_at`, in the calendar's timezone.

    The length added is the office-hours length of the first working day on which counting runs
    (09:00-17:00 -> 8 hours). A report outside office hours starts counting at the next opening,
    so Friday evening -> Monday 17:00, and Thursday 16:30 before Easter -> Tuesday 16:30 in
    England, Monday 16:30 in Scotland.
    """
    if reported_at.tzinfo is None:
        raise ValueError("reported_at must be timezone-aware")
    local = reported_at.astimezone(calendar.tz)
    remaining: dt.timedelta | None = None
    day = local.date()
    for _ in range(MAX_DAYS_SEARCHED):
        window = calendar.office_window(day)
        day += dt.timedelta(days=1)
        if window is None:
            continue
        opens, closes = window
        start = max(opens, local)
        if start >= closes:
            continue
        if remaining is None:
            remaining = _elapsed(opens, closes)
        available = _elapsed(start, closes)
        if remaining <= available:
            return (start.astimezone(dt.UTC) + remaining).astimezone(calendar.tz)
        remaining -= available
    raise ValueError(f"no working day within {MAX_DAYS_SEARCHED} days: check the office hours")


def _clock_text(moment: dt.datetime) -> str:
    if moment.minute == 0 and moment.hour == 12:
        return "midday"
    if moment.minute == 0 and moment.hour == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def moment_text(moment: dt.datetime, tz: ZoneInfo, now: dt.datetime | None = None) -> str:
    """'4:30pm on Tuesday 24 November' in `tz`; the year only when it differs from `now`'s."""
    local = moment.astimezone(tz)
    text = f"{_clock_text(local)} on {local:%A} {local.day} {local:%B}"
    if now is not None and now.astimezone(tz).year != local.year:
        text += f" {local.year}"
    return text


def deadline_text(deadline: dt.datetime, tz: ZoneInfo, now: dt.datetime | None = None) -> str:
    """Plain English for a response deadline: 'by 4:30pm on Tuesday 24 November'.

    Always the weekday and date, never "today" or "tomorrow": a text may be read hours later,
    and an e-mail may be sent again after a retry, when such a word would no longer be true.
    """
    return f"by {moment_text(deadline, tz, now)}"


def team_open_at(moment: dt.datetime, calendar: WorkingCalendar) -> bool:
    """Whether the team is working at `moment`: inside office hours on a working day."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    local = moment.astimezone(calendar.tz)
    window = calendar.office_window(local.date())
    return window is not None and window[0] <= local < window[1]


def next_opening(moment: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """When the team is next working: `moment` itself while it is working, else the next opening."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    local = moment.astimezone(calendar.tz)
    day = local.date()
    for _ in range(MAX_DAYS_SEARCHED):
        window = calendar.office_window(day)
        if window is not None and local < window[1]:
            return max(window[0], local)
        day += dt.timedelta(days=1)
    raise ValueError(f"no working day within {MAX_DAYS_SEARCHED} days: check the office hours")
