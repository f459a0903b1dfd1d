"""Which questions each kind of reporter is asked."""

from actions.report_questions import report_questions


def test_self_report_with_phone_asks_about_safe_contact() -> None:
    questions = report_questions(
        {"reporter_type": "self", "contact_method": "phone", "abuse_kinds": ["physical"]}
    )
    assert questions == [
        "reporter_type",
        "what_happening",
        "abuse_kinds",
        "abuse_kinds_more",
        "children",
        "immediate_danger",
        "contact_method",
        "contact_detail",
        "safe_times",
        "voicemail_safe",
        "letter_safe",
        "code_word",
        "interpreter",
        "consent_to_share",
        "security_needed",
        "send_report",
    ]


def test_anonymous_self_report_is_not_asked_for_contact_details() -> None:
    questions = report_questions({"reporter_type": "self", "contact_method": "none"})
    for slot in ("contact_detail", "safe_times", "voicemail_safe", "letter_safe", "code_word"):
        assert slot not in questions
    assert "security_needed" in questions
    assert "location" not in questions


def test_language_is_asked_only_when_a_language_interpreter_is_wanted() -> None:
    assert "language" not in report_questions({"reporter_type": "self", "interpreter": "bsl"})
    assert "language" in report_questions({"reporter_type": "self", "interpreter": "language"})


def test_third_party_is_asked_where_and_about_their_own_contact_only() -> None:
    questions = report_questions({"reporter_type": "neighbour", "contact_method": "email"})
    assert "location" in questions
    assert "contact_detail" in questions
    for slot in (
        "safe_times",
        "voicemail_safe",
        "letter_safe",
        "code_word",
        "interpreter",
        "security_needed",
    ):
        assert slot not in questions


def test_third_party_choosing_no_contact_is_not_asked_for_details() -> None:
    questions = report_questions({"reporter_type": "agency", "contact_method": "none"})
    assert "contact_detail" not in questions
    assert questions[-2:] == ["consent_to_share", "send_report"]


def test_skipped_kinds_do_not_ask_for_more() -> None:
    assert "abuse_kinds_more" not in report_questions(
        {"reporter_type": "self", "abuse_kinds": ["skipped"]}
    )
