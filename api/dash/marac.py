"""SafeLives MARAC referral criteria.

A case is referred to MARAC when any one criterion is met: visible high risk (the Dash score at or
over the organisation's high threshold), professional judgement, potential escalation (the local
number of incidents or police call-outs in 12 months) or repeat (a new incident within 12 months
of a previous MARAC). Consent is preferred but not required, and the perpetrator is never told.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

from api.dash.scoring import check_yes_count
from api.org.profile import DashBanding

Criterion = Literal["visible_high_risk", "professional_judgement", "potential_escalation", "repeat"]

CRITERIA: Final[tuple[Criterion, ...]] = (
    "visible_high_risk",
    "professional_judgement",
    "potential_escalation",
    "repeat",
)
CRITERIA_LABELS: Final[dict[Criterion, str]] = {
    "visible_high_risk": (
        "Visible high risk: the Dash checklist score meets the high-risk threshold"
    ),
    "professional_judgement": (
        "Professional judgement: the assessor believes the person is at high risk of serious harm"
    ),
    "potential_escalation": (
        "Potential escalation: repeated incidents or police call-outs in the last 12 months"
    ),
    "repeat": "Repeat: a new incident within 12 months of a previous MARAC",
}

REPEAT_WINDOW: Final = dt.timedelta(days=365)


def marac_criteria(
    *,
    yes_count: int,
    banding: DashBanding,
    professional_judgement: bool,
    incidents_last_12_months: int,
    last_marac_at: dt.datetime | None,
    now: dt.datetime,
) -> list[Criterion]:
    """The criteria met, in the order of `CRITERIA`; a referral is indicated if any is met.

    `incidents_last_12_months` counts incidents or police call-outs, including the current one.
    `last_marac_at` is when the case was last heard at MARAC; "repeat" is met when that is within
    the 365 days up to `now`. Both times must be timezone-aware (UTC).
    """
    check_yes_count(yes_count)
    if isinstance(incidents_last_12_months, bool) or not isinstance(incidents_last_12_months, int):
        raise ValueError("incidents_last_12_months must be a whole number")
    if incidents_last_12_months < 0:
        raise ValueError("incidents_last_12_months cannot be negative")
    _check_aware(now, "now")
    if last_marac_at is not None:
        _check_aware(last_marac_at, "last_marac_at")
        if last_marac_at > now:
            raise ValueError("last_marac_at is in the future")

    met: list[Criterion] = []
    if yes_count >= banding.high_min_yes:
        met.append("visible_high_risk")
    if professional_judgement:
        met.append("professional_judgement")
    if incidents_last_12_months >= banding.escalation_incidents_12_months:
        met.append("potential_escalation")
    if last_marac_at is not None and now - last_marac_at <= REPEAT_WINDOW:
        met.append("repeat")
    return met


def referral_indicated(criteria: list[Criterion] | tuple[Criterion, ...]) -> bool:
    """A MARAC referral is indicated when any criterion is met."""
    return bool(criteria)


def _check_aware(value: dt.datetime, name: str) -> None:
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")
