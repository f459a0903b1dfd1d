"""`Auditor` for request handlers: built from the settings' hash key, or 503 with the reason."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, status

from api.audit.service import Auditor
from api.crypto.keys import KeyConfigError
from api.settings import Settings, current_settings

log = logging.getLogger("quietdoor.audit")


def get_auditor(settings: Annotated[Settings, Depends(current_settings)]) -> Auditor:
    """A misconfigured hash key means nothing can be audited, so nothing may be read: 503."""
    try:
        return Auditor.from_settings(settings)
    except KeyConfigError as error:
        log.error("casework cannot be audited: %s", error)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The audit log is not configured (hash key); see the server log.",
        ) from None
