"""Staff casework pages: the triage queue, the case, the DASH and the MARAC referral pack.

Server-rendered, no JavaScript, under the gateway's strict CSP (stylesheets from 'self' only).
Every page calls the same casework service functions as the JSON API (`api_router.py`); this
module only turns form fields into their arguments and their results into HTML. Forms post the
session's CSRF token and are answered with a 303 back to a page (Post/Redirect/Get); a form the
service refuses (`BadRequest`) is shown again with an error summary, what was typed kept. A case
the user may not see is a plain 404 page, an action their role may not take a 403 page.

The safe contact details are the one answer to a POST that is a page, not a redirect: showing
them is an audited act with a reason, so they are never reachable by a GET address (and the
gateway sends `Cache-Control: no-store` on every response).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.casework.pages import case_forms, case_page, dash_pages, marac_pages, queue_pages

router = APIRouter()
for module in (queue_pages, case_page, case_forms, dash_pages, marac_pages):
    router.include_router(module.router)
