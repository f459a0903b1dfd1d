"""Telegram: the secret header, python-telegram-bot Updates, inline keyboards, exit deletes all.

Updates are python-telegram-bot's own `Update` objects posted as Telegram posts them; the
gateway's Bot talks to a local stand-in of the Bot API (its `base_url`), which records every
sendMessage / deleteMessages / answerCallbackQuery.
"""

from __future__ import annotations

import itertools
import re

import pytest
from channel_standins import Gateway, StandInRasa
from messaging_standins import (
    TELEGRAM_SECRET,
    StandInTelegram,
    button_update,
    purge_delivery_records,
    telegram_post,
    text_update,
    wait_for,
)

from api.crypto.keys import hash_key_from
from channels.messaging.pseudonym import pseudonym_for
from channels.messaging.texts import DEFAULTS as LINES
from channels.telegram.register import main as register_main
from channels.telegram.register import register
from channels.telegram.sending import EXIT_CALLBACK

_chats = itertools.count(7_000_001)


def new_chat() -> int:
    return next(_chats)


def sent_texts(api: StandInTelegram, chat_id: int) -> list[str]:
    return [params["text"] for params in api.called("sendMessage", chat_id)]


def pseudonym(gateway: Gateway, chat_id: int) -> str:
    return pseudonym_for(hash_key_from(gateway.settings), "telegram", str(chat_id))


def post_ok(gateway: Gateway, update: object) -> None:
    response = telegram_post(gateway.url, update)
    assert response.status_code == 200, response.text


# ---------- only Telegram gets in ----------


def test_an_update_with_the_secret_header_is_answered(
    messaging_gateway: Gateway, telegram_api: StandInTelegram
) -> None:
    chat = new_chat()
    post_ok(messaging_gateway, text_update(chat, "hello telegram"))
    assert "Echo: hello telegram" in sent_texts(telegram_api, chat)


@pytest.mark.parametrize(
    ("why", "secret"),
    [
        ("missing", None),
        ("one changed byte", TELEGRAM_SECRET[:-1] + chr(ord(TELEGRAM_SECRET[-1]) + 1)),
        ("empty", ""),
        ("a prefix", TELEGRAM_SECRET[:8]),
    ],
)
def test_a_wrong_or_missing_secret_is_403(
    messaging_gateway: Gateway, rasa: StandInRasa, why: str, secret: str | None
) -> None:
    chat = new_chat()
    text = f"forged update {why}"
    response = telegram_post(messaging_gateway.url, text_update(chat, text), secret=secret)
    assert response.status_code == 403
    assert text not in [message for _, message in rasa.messages]


def test_the_channel_is_off_without_its_settings(gateway: Gateway) -> None:
    response = telegram_post(gateway.url, text_update(new_chat(), "hello"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("why", "body", "status"),
    [
        ("not json", b"{not json", 400),
        ("json but not an object", b"[1, 2]", 400),
        ("an object but not an update", b'{"hello": 1}', 400),
        ("not utf-8", b'{"update_id": "\xff"}', 400),
        ("oversized", b'{"update_id": 1, "x": "' + b"y" * 70_000 + b'"}', 413),
    ],
)
def test_malformed_updates_get_a_4xx_not_a_500(
    messaging_gateway: Gateway, why: str, body: bytes, status: int
) -> None:
    assert telegram_post(messaging_gateway.url, body).status_code == status, why


# ---------- the conversation ----------


def test_buttons_become_an_inline_keyboard_with_exit_and_a_press_is_the_payload(
    messaging_gateway: Gateway, telegram_api: StandInTelegram, rasa: StandInRasa
) -> None:
    chat = new_chat()
    post_ok(messaging_gateway, text_update(chat, "/start"))
    question = telegram_api.called("sendMessage", chat)[-1]
    rows = question["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in rows] == ["/affirm", "/deny", EXIT_CALLBACK]
    assert [row[0]["text"] for row in rows] == ["Yes, it is safe", "No, not now", "Exit"]

    post_ok(messaging_gateway, button_update(chat, "/affirm", question["_message_id"]))
    sender = pseudonym(messaging_gateway, chat)
    assert rasa.sent_by(sender) == ["/greet", "/affirm"]
    assert len(telegram_api.called("answerCallbackQuery")) >= 1


def test_a_typed_number_outside_the_buttons_gets_them_again_and_never_reaches_rasa(
    messaging_gateway: Gateway, telegram_api: StandInTelegram, rasa: StandInRasa
) -> None:
    chat = new_chat()
    post_ok(messaging_gateway, text_update(chat, "/start"))
    post_ok(messaging_gateway, text_update(chat, "3"))
    again = telegram_api.called("sendMessage", chat)[-1]
    assert again["text"] == "Please choose one of these."
    rows = again["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in rows] == ["/affirm", "/deny", EXIT_CALLBACK]

    post_ok(messaging_gateway, text_update(chat, "2"))  # a listed number still picks
    post_ok(messaging_gateway, text_update(chat, "1"))  # Rasa's answer listed nothing
    assert sent_texts(telegram_api, chat)[-1] == LINES["nothing_listed"]
    assert rasa.sent_by(pseudonym(messaging_gateway, chat)) == ["/greet", "/deny"]


def test_the_first_reply_says_how_exit_works_and_only_the_first(
    messaging_gateway: Gateway, telegram_api: StandInTelegram
) -> None:
    chat = new_chat()
    post_ok(messaging_gateway, text_update(chat, "first"))
    post_ok(messaging_gateway, text_update(chat, "second"))
    texts = sent_texts(telegram_api, chat)
    assert sum("/exit" in text for text in texts) == 1
    assert texts[-1] == "Echo: second"


def test_rasa_sees_a_pseudonym_never_the_chat_id(
    messaging_gateway: Gateway, rasa: StandInRasa
) -> None:
    chat = new_chat()
    post_ok(messaging_gateway, text_update(chat, "who am i telegram"))
    [sender] = [who for who, text in rasa.messages if text == "who am i telegram"]
    assert re.fullmatch(r"telegram-[0-9a-f]{40}", sender)
    assert str(chat) not in sender
    assert rasa.metadata_for("who am i telegram") == {"channel": "telegram", "wording": "discreet"}


def test_group_chats_are_ignored(
    messaging_gateway: Gateway, telegram_api: StandInTelegram, rasa: StandInRasa
) -> None:
    chat = -new_chat()
    post_ok(messaging_gateway, text_update(chat, "in a group", chat_type="group"))
    assert telegram_api.called("sendMessage", chat) == []
    assert "in a group" not in [text for _, text in rasa.messages]


def test_a_sticker_or_photo_is_answered_with_text_only(
    messaging_gateway: Gateway, telegram_api: StandInTelegram
) -> None:
    chat = new_chat()
    post_ok(messaging_gateway, text_update(chat, None))
    assert sent_texts(telegram_api, chat) == [
        "Sorry, I can only read text. Please type your message."
    ]


def test_a_redelivered_update_is_acknowledged_and_dropped(
    messaging_gateway: Gateway, telegram_api: StandInTelegram, rasa: StandInRasa
) -> None:
    chat = new_chat()
    update = text_update(chat, "telegram only once")
    post_ok(messaging_gateway, update)
    sent = len(telegram_api.called("sendMessage", chat))
    post_ok(messaging_gateway, update)
    assert len(telegram_api.called("sendMessage", chat)) == sent
    assert [text for _, text in rasa.messages].count("telegram only once") == 1


def test_a_replayed_update_is_dropped_even_after_its_delivery_record_is_purged(
    messaging_gateway: Gateway, telegram_api: StandInTelegram, rasa: StandInRasa
) -> None:
    chat = new_chat()
    message, leaving = text_update(chat, "telegram replayed later"), text_update(chat, "/exit")
    post_ok(messaging_gateway, message)
    post_ok(messaging_gateway, leaving)
    post_ok(messaging_gateway, text_update(chat, "the conversation now"))
    deleted, sent = telegram_api.deleted_ids(chat), telegram_api.sent_ids(chat)
    purge_delivery_records(messaging_gateway.settings)

    post_ok(messaging_gateway, message)
    post_ok(messaging_gateway, leaving)
    assert telegram_api.deleted_ids(chat) == deleted  # the replayed exit deleted nothing
    assert telegram_api.sent_ids(chat) == sent
    assert [text for _, text in rasa.messages].count("telegram replayed later") == 1


# ---------- quick exit ----------


@pytest.mark.parametrize("how", ["/exit", "exit", "button"])
def test_exit_deletes_every_message_of_the_chat_and_wipes_the_conversation(
    messaging_gateway: Gateway, telegram_api: StandInTelegram, rasa: StandInRasa, how: str
) -> None:
    chat = new_chat()
    theirs = [text_update(chat, "/start"), text_update(chat, "something private")]
    for update in theirs:
        post_ok(messaging_gateway, update)
    ours = telegram_api.sent_ids(chat)
    assert len(ours) >= 3

    if how == "button":
        exit_update = button_update(chat, EXIT_CALLBACK, ours[-1])
        every_message = [u.message.message_id for u in theirs] + ours
    else:
        exit_update = text_update(chat, how)
        every_message = [u.message.message_id for u in [*theirs, exit_update]] + ours
    post_ok(messaging_gateway, exit_update)

    assert telegram_api.deleted_ids(chat) == sorted(every_message)
    assert wait_for(lambda: rasa.wiped(pseudonym(messaging_gateway, chat)))
    assert len(telegram_api.sent_ids(chat)) == len(ours)  # nothing new left on the phone
    assert how not in rasa.sent_by(pseudonym(messaging_gateway, chat))


def test_after_exit_a_new_chat_starts_afresh(
    messaging_gateway: Gateway, telegram_api: StandInTelegram
) -> None:
    chat = new_chat()
    post_ok(messaging_gateway, text_update(chat, "before"))
    post_ok(messaging_gateway, text_update(chat, "/exit"))
    deleted = telegram_api.deleted_ids(chat)
    post_ok(messaging_gateway, text_update(chat, "after"))
    texts = sent_texts(telegram_api, chat)
    assert sum("/exit" in text for text in texts) == 2  # the advice again, for a new chat
    post_ok(messaging_gateway, text_update(chat, "/exit"))
    second = [i for i in telegram_api.deleted_ids(chat) if i not in deleted]
    assert len(second) == 4  # "after", the advice, the echo, "/exit": not the first chat's again


# ---------- registering the webhook ----------


async def test_register_sets_the_webhook_with_the_secret_and_only_the_updates_read(
    messaging_gateway: Gateway, telegram_api: StandInTelegram
) -> None:
    url = await register(messaging_gateway.settings, drop_pending=True)
    assert url == "https://quietdoor.example.org/webhooks/telegram/webhook"
    [call] = telegram_api.called("setWebhook")[-1:]
    assert call["url"] == url
    assert call["secret_token"] == TELEGRAM_SECRET
    assert call["allowed_updates"] == ["message", "callback_query"]
    assert call["drop_pending_updates"] is True


def test_register_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"QD_{name}", raising=False)
    assert register_main([]) == 2
    assert "TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET_TOKEN, PUBLIC_BASE_URL" in capsys.readouterr().err
