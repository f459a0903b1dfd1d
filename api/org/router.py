"""What the action server may ask about the organisation: public facts only, never case data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.internal_auth import require_service_token
from api.org.profile import (
    Contact,
    HousingOption,
    Nation,
    Need,
    OrgProfile,
    OutOfHours,
    get_profile,
)

router = APIRouter(prefix="/internal", dependencies=[Depends(require_service_token)])


class OrgSummary(BaseModel):
    """Public facts the actions render; nothing here depends on the time (the actions cache it)."""

    id: str
    name: str
    nation: Nation
    contact_text: str
    office_hours_text: str
    exit_url: str
    #: The nation's 24-hour line, for every reply that cannot wait for the team.
    helpline_name: str
    helpline_contact: str
    out_of_hours: OutOfHours | None
    contacts: list[Contact]
    housing_options: list[HousingOption]


class HelplineOut(BaseModel):
    name: str
    contact: str
    hours: str
    verified: bool


class HelplineAnswer(BaseModel):
    need: Need
    nation: Nation
    helplines: list[HelplineOut]


@router.get("/org", response_model=OrgSummary)
def org_summary(profile: Annotated[OrgProfile, Depends(get_profile)]) -> OrgSummary:
    line = profile.round_the_clock_line()
    return OrgSummary(
        id=profile.id,
        name=profile.name,
        nation=profile.nation,
        contact_text=profile.contact_text,
        office_hours_text=profile.office_hours_text(),
        exit_url=profile.exit_url,
        helpline_name=line.name,
        helpline_contact=line.contact,
        out_of_hours=profile.out_of_hours,
        contacts=list(profile.contacts),
        housing_options=list(profile.housing_options),
    )


@router.get("/helplines", response_model=HelplineAnswer)
def helplines(
    profile: Annotated[OrgProfile, Depends(get_profile)],
    need: Need = "general",
    nation: Nation | None = None,
) -> HelplineAnswer:
    """Falls back to the nation's general line so a person is never left with no number."""
    chosen_nation = nation or profile.nation
    found = profile.helplines_for(need, chosen_nation) or profile.helplines_for(
        "general", chosen_nation
    )
    return HelplineAnswer(
        need=need,
        nation=chosen_nation,
        helplines=[
            HelplineOut(**h.model_dump(include={"name", "contact", "hours", "verified"}))
            for h in found
        ],
    )
