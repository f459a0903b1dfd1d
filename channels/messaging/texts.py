"""The few lines the gateway itself says on messaging channels (Rasa says everything else).

Short, calm, and discreet: nothing here names abuse, the police or a service, because a text
stays on the phone. An organisation can replace any line through `wording:` in its profile,
under the key given for each.
"""

from __future__ import annotations

from api.org.profile import OrgProfile

DEFAULTS = {
    # The first reply to a new SMS or WhatsApp contact: SMS cannot be unsent.
    "sms_first_reply": (
        "To keep this private, delete this conversation from your phone after each chat. "
        "Reply EXIT at any time to clear it on our side. Reply PLAIN if you'd like plain words."
    ),
    "telegram_first_reply": (
        "Send /exit or press Exit at any time: I'll delete this chat's messages from your phone "
        "(those up to 2 days old) and from ours. Send PLAIN if you'd like plain words."
    ),
    # After EXIT on SMS/WhatsApp: the one neutral line (we cannot delete texts on the phone).
    "sms_exit": "Chat cleared. To remove it from this phone, delete this conversation.",
    "plain_on": "OK, I'll use plain words from now on. Reply DISCREET to switch back.",
    "discreet_on": "OK, I'll keep my words low-key from now on. Reply PLAIN to switch back.",
    # Rasa down: the message is kept and read when it is back ...
    "kept": (
        "Sorry, I can't read messages for a moment. I'll keep yours for up to {minutes} "
        "minutes and answer here as soon as I can. After that it is deleted, so please "
        "send it again later."
    ),
    # Rasa is slow: the webhook answers without waiting and the reply follows here.
    "slow": (
        "Sorry, I'm slow to answer just now. I've kept your message and "
        "the answer will come here as soon as I can."
    ),
    # ... or it may have been half-read and is not kept (told plainly).
    "not_kept": (
        "Sorry, I couldn't read your message. Nothing has been saved or passed on. "
        "Please send it again in a few minutes."
    ),
    "text_only": "Sorry, I can only read text. Please type your message.",
    "too_long": "Sorry, that message is too long for me. Please send it in shorter parts.",
    # A bare number that is not one of the choices offered: never passed on as words.
    "choose_listed": "Please reply with one of the numbers listed.",
    "choose_button": "Please choose one of these.",
    "nothing_listed": (
        "There's nothing to choose from just now. Please write a few words instead "
        '(for example "flat 12"), or send HELLO to see the choices.'
    ),
    # A follow-up code sent back on its own: the status and what the team wrote since.
    "follow_up_update": "Update on your message to the team (ref {reference}): {status}",
    "follow_up_status_new": "it has arrived and is waiting for a member of the team.",
    "follow_up_status_in_contact": "a member of the team is looking at it.",
    "follow_up_status_risk_assessed": "a member of the team is looking at it.",
    "follow_up_status_support_plan": ("a member of the team is looking at it and arranging help."),
    "follow_up_status_under_review": "the team is going over it.",
    "follow_up_status_closed": "it has been closed. You can still send the team a message.",
    "follow_up_nothing_new": "No new messages from the team.",
    "follow_up_team_wrote": "The team wrote at {when}:\n{text}",
    "follow_up_reply_how": (
        "To write back to the team, send REPLY and then your message, "
        "within the next {minutes} minutes."
    ),
    # Wrong, expired or too many tries: one answer, so a code cannot be probed.
    "follow_up_wrong_code": "Sorry, that code didn't work. Please check it and try again later.",
    "follow_up_reply_sent": (
        "Sent to the team. They read messages in working hours, so if you need help now, call 999."
    ),
    "follow_up_reply_needs_code": (
        "To write to the team, first send your code on its own, then REPLY and your message."
    ),
}


def line(profile: OrgProfile, key: str, **values: object) -> str:
    """The organisation's wording for `key` if it has one, else the default above."""
    template = profile.wording.get(key) or DEFAULTS[key]
    return template.format(**values) if values else template
