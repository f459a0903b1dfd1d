"""Which questions each kind of reporter is asked, and in what order."""

from actions.report_questions import report_questions


def test_self_report_with_phone_asks_safe_contact_before_what_is_happening() -> None:
    questions = report_questions(
        {"reporter_type": "self", "contact_method": "phone", "abuse_kinds": ["physical"]}
    )
    assert questions == [
        "reporter_type",
        "safe_to_talk",
        "contact_method",
        "contact_detail",
        "safe_times",
        "voicemail_safe",
        "letter_safe",
        "code_word",
        "what_happening",
        "abuse_kinds",
        "abuse_kinds_more",
        "children",
        "immediate_danger",
        "interpreter",
        "consent_to_share",
        "security_needed",
        "send_report",
    ]


def test_safe_to_talk_comes_before_any_free_text() -> None:
    questions = report_questions({"reporter_type": "self"})
    free_text = ("contact_detail", "safe_times", "code_word", "what_happening", "language")
    first_free_text = min(questions.index(q) for q in free_text if q in questions)
    assert questions.index("safe_to_talk") < first_free_text
    assert questions.index("contact_method") < questions.index("what_happening")


def test_not_safe_to_talk_ends_the_form_at_once() -> None:
    assert report_questions({"reporter_type": "self", "safe_to_talk": "no"}) == ["safe_to_talk"]


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
        "safe_to_talk",
        "safe_times",
        "voicemail_safe",
        "letter_safe",
        "code_word",
        "interpreter",
        "security_needed",
    ):
        assert slot not in questions


def test_a_third_party_is_never_asked_to_consent_for_the_victim() -> None:
    for reporter in ("neighbour", "contractor", "agency", "friend_family", "other"):
        assert "consent_to_share" not in report_questions({"reporter_type": reporter})
    assert "consent_to_share" in report_questions({"reporter_type": "self"})


def test_third_party_choosing_no_contact_is_not_asked_for_details() -> None:
    questions = report_questions({"reporter_type": "agency", "contact_method": "none"})
    assert "contact_detail" not in questions
    assert questions[-3:] == ["children", "immediate_danger", "send_report"]


def test_skipped_kinds_do_not_ask_for_more() -> None:
    assert "abuse_kinds_more" not in report_questions(
        {"reporter_type": "self", "abuse_kinds": ["skipped"]}
    )
