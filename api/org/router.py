"""What the action server may ask about the organisation: public facts only, never case data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.internal_auth import require_service_token
from api.org.profile import Nation, Need, OrgProfile, get_profile

router = APIRouter(prefix="/internal", dependencies=[Depends(require_service_token)])


class OrgSummary(BaseModel):
    id: str
    name: str
    nation: Nation
    contact_text: str
    office_hours_text: str
    exit_url: str


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
    return OrgSummary(
        id=profile.id,
        name=profile.name,
        nation=profile.nation,
        contact_text=profile.contact_text,
        office_hours_text=profile.office_hours_text(),
        exit_url=profile.exit_url,
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
