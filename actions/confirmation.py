"""What the person is told once a report is sent: which responses, with which values.

Pure and free of Rasa imports, so the case service's tests can render the very replies the
action sends for the answer it gives at night, at the weekend, on a bank holiday and in office
hours (tests/api/test_reply_timing.py). Nobody runs a 24-hour team: every confirmation says when
the team will see the report, from the organisation's hours, then 999 and the nation's 24-hour
line; an urgent report is never promised anything sooner than the team can deliver.
"""

from __future__ import annotations

from typing import Any

from contract.report import is_anonymous

# The landlords' promise (respond within one working day), used only if the service omits it.
DEFAULT_DEADLINE_TEXT = "within one working day"

Reply = tuple[str, dict[str, str]]


def confirmation(case: dict[str, Any]) -> list[Reply]:
    """The responses in order. An "until then" reply with no values needs the fallback line."""
    urgent = "_urgent" if case.get("urgency") == "emergency" else ""
    anonymous = "_anonymous" if is_anonymous(case.get("contact_method")) else ""
    replies: list[Reply] = [
        (
            f"utter_case_created{urgent}{anonymous}",
            {
                "reference": str(case.get("reference", "")),
                "deadline_text": str(case.get("deadline_text") or DEFAULT_DEADLINE_TEXT),
            },
        )
    ]
    until_then = "utter_until_then" if case.get("team_open_now") else "utter_until_then_closed"
    if case.get("helpline_name") and case.get("helpline_contact"):
        line = {
            "helpline_name": case["helpline_name"],
            "helpline_contact": case["helpline_contact"],
        }
        replies.append((until_then, line))
    else:
        replies.append(("utter_until_then", {}))
    if case.get("out_of_hours_name") and case.get("out_of_hours_contact"):
        replies.append(
            (
                "utter_out_of_hours",
                {
                    "out_of_hours_name": case["out_of_hours_name"],
                    "out_of_hours_contact": case["out_of_hours_contact"],
                },
            )
        )
    if case.get("follow_up_code"):
        replies.append(("utter_follow_up_code", {"follow_up_code": case["follow_up_code"]}))
    replies.append(("utter_after_report", {}))
    return replies
