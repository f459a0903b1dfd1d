"""Follow-up in the web chat: an anonymous reporter comes back with their code.

`POST /chat/follow-up` `{"code"}` shows the case's status and the messages with the team;
`POST /chat/follow-up/messages` `{"code","message"}` adds the reporter's message and shows the
same. Both answer `{"reference","status","messages":[{"from":"you"|"team","at","text"}]}`.

The page keeps the code in memory only and sends it in the body of every request; the server
never keeps it (only the case's keyed hash of it exists) and never logs it or the messages. A
wrong or expired code gets one answer whatever the reason (404); wrong codes are slowed per
address (429 with Retry-After, api/throttle.py), a right code never is. As in the chat, a
message that is only an exit word ("exit", "quick exit"...) is not stored: the answer is
`{"exit": true}` and the page leaves. A message with danger words is stored for the caseworker
and the answer also carries `"emergency"`, the 999 text, because the team does not read
messages at once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.cases.dependencies import case_keys
from api.cases.service import CaseKeys
from api.casework.follow_up import (
    ReporterView,
    TooManyTries,
    WrongCode,
    reporter_says,
    reporter_view,
)
from api.db import get_session, utcnow
from api.org.profile import OrgProfile, get_profile
from channels import safety
from channels.danger.assess import Danger, assess_async
from channels.web.schemas import FollowUpMessageRequest, FollowUpRequest, read_json

log = logging.getLogger("quietdoor.channels.web")

WRONG_CODE_TEXT = "That code did not work. Check it and try again."
TOO_MANY_TEXT = "Too many codes have been tried from here. Please wait a little and try again."
BAD_MESSAGE_TEXT = "A message has 1 to 2000 characters."

router = APIRouter(tags=["web chat"])

SessionDep = Annotated[Session, Depends(get_session)]
KeysDep = Annotated[CaseKeys, Depends(case_keys)]
ProfileDep = Annotated[OrgProfile, Depends(get_profile)]


@router.post("/chat/follow-up")
async def follow_up(request: Request, session: SessionDep, keys: KeysDep) -> JSONResponse:
    """The status and the messages, for the right code."""
    body = await read_json(request, FollowUpRequest)
    if safety.is_exit(body.code):
        return JSONResponse({"exit": True})
    answer = await _view_or_refusal(
        reporter_view, session, keys, code=body.code, address=_address(request), now=utcnow()
    )
    return answer if isinstance(answer, JSONResponse) else JSONResponse(answer)


@router.post("/chat/follow-up/messages")
async def follow_up_message(
    request: Request, session: SessionDep, keys: KeysDep, profile: ProfileDep
) -> JSONResponse:
    """Add the reporter's message to the case, then show the status and the messages."""
    body = await read_json(request, FollowUpMessageRequest)
    if safety.is_exit(body.message):
        return JSONResponse({"exit": True})
    answer = await _view_or_refusal(
        reporter_says,
        session,
        keys,
        code=body.code,
        text=body.message,
        address=_address(request),
        now=utcnow(),
    )
    if isinstance(answer, JSONResponse):
        return answer
    if await assess_async(body.message) is not Danger.NONE:  # when in doubt, the numbers
        answer["emergency"] = safety.emergency_text(profile)
    return JSONResponse(answer)


async def _view_or_refusal(
    service: Callable[..., ReporterView], session: Session, keys: CaseKeys, **kwargs: Any
) -> dict[str, Any] | JSONResponse:
    """Run the (blocking) case service in a thread: the view as JSON, or the refusal to send."""
    try:
        view = await run_in_threadpool(service, session, keys.keyring, keys.hash_key, **kwargs)
    except WrongCode:
        log.info("follow-up: a code did not match a case")
        return JSONResponse({"detail": WRONG_CODE_TEXT}, status_code=404)
    except TooManyTries as refused:
        log.warning("follow-up: too many wrong codes from one address; refused for a while")
        return JSONResponse(
            {"detail": TOO_MANY_TEXT},
            status_code=429,
            headers={"Retry-After": str(math.ceil(refused.wait.total_seconds()))},
        )
    except ValueError:
        return JSONResponse({"detail": BAD_MESSAGE_TEXT}, status_code=422)
    return _view_json(view)


def _view_json(view: ReporterView) -> dict[str, Any]:
    return {
        "reference": view.reference,
        "status": view.status_text,
        "messages": [
            {
                "from": "you" if message.from_reporter else "team",
                "at": message.created_at.isoformat(timespec="seconds"),
                "text": message.text,
            }
            for message in view.messages
        ],
    }


def _address(request: Request) -> str:
    """Who is trying codes, for the throttle only (kept as a keyed hash, never logged)."""
    return request.client.host if request.client else "unknown"
