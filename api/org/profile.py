"""Load an organisation profile and the national helplines from `orgs/`.

Everything that differs between landlords (name, nation, hours, closure days, exit URL, wording,
local services, own contacts, out-of-hours service, housing options) is data, so a second
landlord runs the same code with its own file.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import yaml
from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.settings import Settings, current_settings

Nation = Literal["ENG", "WLS", "SCT", "NIR"]
Need = Literal[
    "general",
    "men",
    "lgbt",
    "honour",
    "deaf",
    "perpetrator",
    "injunction",
    "local",
    "money",
    "legal",
    "children",
    "stalking",
    "police_non_emergency",
]
#: The housing matters the policies name (issue 8, item 4); each landlord words its own.
HousingOptionId = Literal[
    "management_transfer",
    "sanctuary",
    "temporary_accommodation",
    "joint_to_sole",
    "money_advice",
    "repairs",
]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: How a helpline's hours say it always answers.
ROUND_THE_CLOCK = re.compile(r"\b24 hours\b|\b24/7\b", re.IGNORECASE)


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the problem."""


class Helpline(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    contact: str
    hours: str
    needs: tuple[Need, ...]
    nations: tuple[Nation, ...]
    verified: bool = False


class OutOfHours(BaseModel):
    """A named service that answers for the landlord when its team is not working."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    contact: str
    hours: str
    verified: bool = False


class Contact(BaseModel):
    """One of the landlord's own ways in (phone, e-mail, web page, referral), from its policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    contact: str
    purpose: str
    verified: bool = False


class HousingOption(BaseModel):
    """A housing option the landlord's policy offers to someone a partner, ex or relative harms.

    `title` and `discreet_text` may reach a phone someone else reads, so neither may name abuse,
    violence, the police or a refuge; `text` is the plain version for the web chat.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: HousingOptionId
    title: str
    text: str
    discreet_text: str


class DashBanding(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    high_min_yes: int = 14
    medium_min_yes: int = 10
    escalation_incidents_12_months: int = 3


class OfficeHours(BaseModel):
    """Opening and closing time of one working day."""

    model_config = ConfigDict(frozen=True)

    opens: dt.time
    closes: dt.time

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        opens, _, closes = text.partition("-")
        hours = cls(
            opens=dt.time.fromisoformat(opens.strip()), closes=dt.time.fromisoformat(closes.strip())
        )
        if hours.closes <= hours.opens:
            raise ValueError(f"office hours {text!r} close before they open")
        return hours


class OrgProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    nation: Nation
    timezone: str = "Europe/London"
    verified: bool = False
    office_hours: dict[str, OfficeHours]
    closure_days: frozenset[dt.date] = Field(default_factory=frozenset)
    exit_url: str
    online_safety_url: str
    contact_text: str
    wording: dict[str, str] = Field(default_factory=dict)
    helplines: tuple[Helpline, ...] = ()
    national_helplines: tuple[Helpline, ...] = ()
    contacts: tuple[Contact, ...] = ()
    out_of_hours: OutOfHours | None = None
    housing_options: tuple[HousingOption, ...] = ()
    dash: DashBanding = DashBanding()

    @field_validator("office_hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: dict[str, str]) -> dict[str, OfficeHours]:
        unknown = set(value) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekday keys {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        return {
            day: OfficeHours.parse(text) if isinstance(text, str) else text
            for day, text in value.items()
        }

    @field_validator("exit_url", "online_safety_url")
    @classmethod
    def _https_or_local(cls, value: str) -> str:
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("must be an https:// address")
        return value

    @field_validator("contacts", "housing_options")
    @classmethod
    def _unique_ids(cls, value: tuple[Contact | HousingOption, ...]) -> tuple:
        ids = [item.id for item in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"ids listed twice: {repeated}")
        return value

    @model_validator(mode="after")
    def _nation_has_a_general_line(self) -> OrgProfile:
        """Every reply that cannot wait for the team names a line; a profile without one stops."""
        if not self.helplines_for("general"):
            raise ValueError(f"no general helpline for nation {self.nation} (see helplines.yml)")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours_on(self, day: dt.date) -> OfficeHours | None:
        """Office hours of a weekday, or None when the office is shut that weekday."""
        return self.office_hours.get(WEEKDAYS[day.weekday()])

    def office_hours_text(self) -> str:
        """Plain English, e.g. 'mon 09:00-17:00, tue ...', for staff and the bot."""
        return ", ".join(
            f"{day.capitalize()} {h.opens:%H:%M}-{h.closes:%H:%M}"
            for day, h in self.office_hours.items()
        )

    def helplines_for(self, need: Need, nation: Nation | None = None) -> list[Helpline]:
        """Helplines for a need in a nation: national entries first, the organisation's own after.

        An organisation entry with the id of a national entry replaces it (that is how an
        organisation confirms a number), so a number is never listed twice.
        """
        nation = nation or self.nation
        return [h for h in self.helplines_in_use() if need in h.needs and nation in h.nations]

    def round_the_clock_line(self) -> Helpline:
        """The line to give when the team cannot answer: the profile nation's first general line
        whose hours say 24 hours, else its first general line (a loaded profile has one)."""
        general = self.helplines_for("general")
        return next((h for h in general if ROUND_THE_CLOCK.search(h.hours)), general[0])

    def unverified(self) -> list[str]:
        """Names of entries the organisation has still to confirm, for the start-up warning."""
        names = [h.name for h in self.helplines_in_use() if not h.verified]
        names += [c.name for c in self.contacts if not c.verified]
        if self.out_of_hours is not None and not self.out_of_hours.verified:
            names.append(self.out_of_hours.name)
        return ([f"profile {self.id}"] if not self.verified else []) + names

    def helplines_in_use(self) -> list[Helpline]:
        """National entries (each replaced by an own entry of the same id), then its own."""
        own = {h.id: h for h in self.helplines}
        return [own.pop(h.id, h) for h in self.national_helplines] + list(own.values())


def load_profile(org_dir: Path, org_id: str) -> OrgProfile:
    """Read `<org_dir>/<org_id>.yml` and `<org_dir>/helplines.yml`; errors name the file."""
    path = org_dir / f"{org_id}.yml"
    national = _read_yaml(org_dir / "helplines.yml")
    data = _read_yaml(path)
    try:
        return OrgProfile(**data, national_helplines=national.get("helplines", []))
    except (TypeError, ValueError) as error:
        raise ProfileError(f"{path}: {error}") from error


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ProfileError(f"{path}: no such organisation profile (set QD_ORG or QD_ORG_DIR)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ProfileError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: expected a mapping at the top level")
    return data


@lru_cache(maxsize=8)
def _cached_profile(org_dir: Path, org_id: str) -> OrgProfile:
    return load_profile(org_dir, org_id)


async def get_profile(settings: Annotated[Settings, Depends(current_settings)]) -> OrgProfile:
    """FastAPI dependency: the running organisation's profile, read once per process.

    Async, so it runs on the event loop rather than in a worker thread (current_settings).
    """
    return _cached_profile(settings.org_dir, settings.org)


def profile_for(settings: Settings) -> OrgProfile:
    """The same profile outside a request (workers, CLI)."""
    return _cached_profile(settings.org_dir, settings.org)
