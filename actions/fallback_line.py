"""The 24-hour line to give when the case service could not be asked for helplines.

The organisation's nation decides the line (Live Fear Free in Wales, not England's number), so
the last profile the actions saw is used; with none, a reply that lists every nation's line.
"""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.case_service import get_org


async def nation_line() -> dict[str, str] | None:
    """`helpline_name` and `helpline_contact` of the organisation's 24-hour line, if known."""
    org = await get_org() or {}
    if org.get("helpline_name") and org.get("helpline_contact"):
        return {"helpline_name": org["helpline_name"], "helpline_contact": org["helpline_contact"]}
    return None


async def utter_with_line(dispatcher: CollectingDispatcher, response: str, **values: str) -> None:
    """`response` filled with the nation's line, or `<response>_all` listing every nation's."""
    line = await nation_line()
    if line:
        dispatcher.utter_message(response=response, **line, **values)
    else:
        dispatcher.utter_message(response=f"{response}_all", **values)
