"""What a case request needs: keys, the organisation's working calendar, a session."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, status

from api.cases.service import CaseKeys
from api.crypto.keys import KeyConfigError, hash_key_from, keyring_from
from api.deadlines import WorkingCalendar
from api.org.profile import OrgProfile, get_profile
from api.settings import Settings, current_settings

log = logging.getLogger("quietdoor.cases")


def case_keys(settings: Annotated[Settings, Depends(current_settings)]) -> CaseKeys:
    """The keys, or 503 with the reason: a misconfigured key must not crash the gateway.

    The web chat stays up (and keeps giving emergency numbers) while an operator fixes the keys.
    """
    try:
        return CaseKeys(keyring=keyring_from(settings), hash_key=hash_key_from(settings))
    except KeyConfigError as error:
        log.error("cases cannot be stored: %s", error)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="Case storage is not configured (encryption keys); see the server log.",
        ) from None


def working_calendar(profile: Annotated[OrgProfile, Depends(get_profile)]) -> WorkingCalendar:
    return WorkingCalendar.from_profile(profile)
