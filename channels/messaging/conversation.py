"""One turn of a messaging conversation, the same for SMS, WhatsApp and Telegram.

The channel routers authenticate the webhook, turn it into a `Delivery`, handle quick exit
(and Twilio's STOP) themselves, and hand everything else here. The emergency answer never waits:
a message judged NOW (or the emergency button) gets the numbers in the webhook's own answer at
once, and its turn runs on in the background; any other message waits for its turn at most
`QD_MESSAGING_ANSWER_WAIT_SECONDS`, then gets the holding line (999, the support line, "the
answer will come here"). A turn the webhook did not wait for sends its replies itself, through
the channel's API, leaving out what the webhook already gave (`_Answered`). A turn:

1. record the delivery once (a retry is dropped) with the text sealed until Rasa has read it;
2. answer, in order, any older message of this person that Rasa could not read before;
3. "PLAIN" / "DISCREET" switch the wording;
4. emergency words make sure the emergency numbers come first, exactly once;
5. a follow-up code sent on its own, or "REPLY ..." just after one, is answered through the case
   service (`follow_up`); a bare number picks one of the numbered choices offered, and one that
   picks nothing gets the choices again (`choices`): none of these ever reaches Rasa as words;
6. Rasa reads the message under the contact's pseudonym, never the number or chat id; if it
   cannot, the person gets 999, the support line, and a plain word on what happens next;
7. the first reply to a new contact says how to keep the chat private.

Nothing here logs a message, an address or a pseudonym.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from api import metrics
from api.crypto.keys import hash_key_from, keyring_from
from api.db import in_session, session_factory, utcnow
from api.org.profile import OrgProfile
from api.settings import Settings
from channels import safety
from channels.danger.assess import Danger, assess_async
from channels.messaging import choices, contacts, follow_up, inbox, texts
from channels.messaging.contacts import Contact
from channels.messaging.inbox import Delivery, Unread
from channels.messaging.locks import KeyedLocks
from channels.messaging.pseudonym import delivery_hash, pseudonym_for
from channels.messaging.replies import Reply, chosen_payload, from_rasa, is_bare_number, offered
from channels.rasa_client import RasaClient, RasaUnavailable, shared_client

log = logging.getLogger("quietdoor.channels.messaging")

T = TypeVar("T")

MAX_MESSAGE_CHARS = 2000
#: How long a turn may take before the inbox worker assumes the gateway died mid-turn.
TURN_LEASE = dt.timedelta(minutes=2)
#: The payload of the "I'm in danger now" choice (bot/domain): answered like emergency words.
EMERGENCY_PAYLOAD = "/emergency"
#: Pauses before each further try at wiping Rasa's conversation after a quick exit.
WIPE_RETRY_PAUSES = (1.0, 5.0, 30.0)
#: How long a follow-up waits for the webhook's own answer to be on its way.
GIVEN_WAIT_SECONDS = 10.0
#: On shutdown, how long turns and wipes in hand may take before they are stopped.
SETTLE_SECONDS = 5.0

FIRST_REPLY_KEY = {
    "sms": "sms_first_reply",
    "whatsapp": "sms_first_reply",
    "telegram": "telegram_first_reply",
}
#: Replies that come before the first-reply advice: the numbers and what happens to the message.
LEADING_KINDS = ("emergency", "kept", "unavailable")
WORDING_REQUESTS = {
    "plain": "plain",
    "plain words": "plain",
    "plain wording": "plain",
    "discreet": "discreet",
    "discrete": "discreet",
}


class Sender(Protocol):
    """A channel's API for replies the webhook could not carry (Twilio REST, Telegram Bot API)."""

    async def send(self, contact: Contact, replies: list[Reply]) -> None: ...


@dataclass
class _Answered:
    """What a webhook already said for a message whose turn it did not wait for.

    Set before the webhook returns and read by the turn only after its last await, so the turn
    sends exactly what the person does not have yet (never the numbers twice). `given` is set
    by the channel once the webhook's own answer is on its way, so the turn's follow-up cannot
    overtake it (a Telegram answer is itself sent through the API).
    """

    late: bool = False
    told: frozenset[str] = frozenset()
    given: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class Turn:
    """What to send back for one delivery (nothing, for a dropped retry)."""

    pseudonym: str
    replies: list[Reply]
    contact: Contact | None = None
    duplicate: bool = False
    #: The channel calls this once these replies are on their way (see `_Answered`).
    given: Callable[[], None] = lambda: None


def _pressed_emergency(text: str, contact: Contact) -> bool:
    """The "I'm in danger now" choice: its payload (Telegram) or its number (SMS)."""
    return (chosen_payload(text, contact.options) or text.strip()) == EMERGENCY_PAYLOAD


class Conversations:
    """Messaging turns for one gateway process (see the module docstring for the order)."""

    def __init__(
        self,
        settings: Settings,
        profile: OrgProfile,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        senders: dict[str, Sender] | None = None,
    ) -> None:
        self.settings = settings
        self.profile = profile
        self.senders = senders or {}
        self._clock = clock
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sessions = session_factory(settings)
        self._locks = KeyedLocks()
        # Parsed once: `messaging_channels` only builds this when the keys are sound.
        self._keyring = keyring_from(settings)
        self._hash_key = hash_key_from(settings)

    def now(self) -> dt.datetime:
        return self._clock()

    def pseudonym(self, channel: str, address: str) -> str:
        return pseudonym_for(self._hash_key, channel, address)

    def _delivery_hash(self, delivery: Delivery) -> str:
        return delivery_hash(self._hash_key, delivery.channel, delivery.delivery_id)

    def rasa(self) -> RasaClient:
        return shared_client(
            self.settings.rasa_url,
            self.settings.rasa_token.get_secret_value(),
            self.settings.messaging_rasa_timeout_seconds,
        )

    @property
    def keep(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.settings.messaging_keep_minutes)

    @property
    def retry_every(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.messaging_retry_seconds)

    async def receive(self, delivery: Delivery) -> Turn:
        """Record one delivery and answer it, at once for an emergency (module docstring)."""
        pseudonym = self.pseudonym(delivery.channel, delivery.address)
        try:
            unread = await self._db(
                inbox.receive,
                self._keyring,
                delivery,
                pseudonym=pseudonym,
                delivery_hash=self._delivery_hash(delivery),
                now=self._clock(),
                lease=TURN_LEASE,
                keep=self.keep,
            )
        except Exception as error:  # storage down: still answer with the numbers
            log.error("inbound delivery could not be recorded (%s)", type(error).__name__)
            emergency = await assess_async(delivery.text) is Danger.NOW
            metrics.safety_net_answered(delivery.channel, "not_taken")
            return Turn(pseudonym, self._safety_net("not_kept", emergency_first=emergency))
        if unread is None:
            return Turn(pseudonym, [], duplicate=True)
        contact = await self._contact(pseudonym)
        if contact is None:  # forgotten by a quick exit in between
            return Turn(pseudonym, [])
        pressed = _pressed_emergency(unread.text, contact)
        danger = Danger.NONE if pressed else await assess_async(unread.text)  # a choice, not words
        answered = _Answered()
        if danger is Danger.NOW or pressed:
            answered.late, answered.told = True, frozenset({"emergency"})
            metrics.safety_net_answered(delivery.channel, "emergency")
            self._spawn(self._turn(unread, danger, answered))
            return Turn(pseudonym, [self._numbers(contact)], contact, given=answered.given.set)
        turn = self._spawn(self._turn(unread, danger, answered))
        done, _ = await asyncio.wait({turn}, timeout=self.settings.messaging_answer_wait_seconds)
        if turn in done:
            return turn.result()
        answered.late, answered.told = True, frozenset({"emergency", "kept"})
        metrics.safety_net_answered(delivery.channel, "holding")
        holding = self._safety_net(
            "slow", emergency_first=False, discreet=contact.wording != "plain"
        )
        return Turn(pseudonym, holding, contact, given=answered.given.set)

    async def first_sight(self, delivery: Delivery) -> bool:
        """Remember a delivery answered without a turn (STOP, quick exit); False: seen before.

        True if storage is down: the person is still answered (as `receive` answers with the
        numbers then); only a replay during the outage would get through.
        """
        try:
            return await self._db(
                inbox.first_sight,
                channel=delivery.channel,
                delivery_hash=self._delivery_hash(delivery),
            )
        except Exception as error:
            log.error("inbound delivery could not be remembered (%s)", type(error).__name__)
            return True

    async def retry_due(self) -> int:
        """Messages Rasa could not read before, read and answered now; returns answers sent."""
        due = await self._db(inbox.claim_due, self._keyring, now=self._clock(), lease=TURN_LEASE)
        sent = 0
        for message in due:
            async with self._locks.hold(message.pseudonym):
                contact = await self._contact(message.pseudonym)
                if contact is None:
                    await self._db(inbox.drop, message.id)
                    continue
                contact, replies = await self._read(message, contact, first_time=False)
                if replies:
                    turn = Turn(message.pseudonym, await self._finish(contact, replies), contact)
                    sent += await self.deliver(turn)
        return sent

    async def deliver(self, turn: Turn) -> bool:
        """Send replies through the channel's API; False if they could not or may not go.

        Only ever a reply within the keep window (`may_send_to`), and only to a contact still
        known: a quick exit meanwhile means nothing more reaches the phone.
        """
        if not turn.replies:
            return False
        contact = await self._contact(turn.pseudonym)
        sender = self.senders.get(contact.channel) if contact else None
        if contact is None or sender is None or not self.may_send_to(contact):
            log.warning("a late answer was not sent (channel off, chat cleared or window over)")
            return False
        try:
            await sender.send(contact, turn.replies)
        except Exception as error:  # noqa: BLE001 - a channel's API failing must not stop the rest
            log.warning("a late answer could not be sent (%s)", type(error).__name__)
            return False
        return True

    async def forget(self, pseudonym: str) -> None:
        """Quick exit or STOP: everything stored about the contact goes now, without waiting.

        Rasa's conversation is wiped in the background, after any turn of the person's still
        with Rasa (the same lock), and tried again if Rasa does not answer.
        """
        await self._db(contacts.forget, pseudonym)
        self._spawn(self._wipe(pseudonym))

    async def settle(self) -> None:
        """On shutdown: let turns and wipes in hand finish for a moment, then stop them.

        A message whose turn is stopped is read by the inbox worker after its lease; a wipe not
        done leaves the conversation to expire.
        """
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=SETTLE_SECONDS)
            for task in pending:
                task.cancel()

    async def contact(self, pseudonym: str) -> Contact | None:
        return await self._contact(pseudonym)

    def may_send_to(self, contact: Contact) -> bool:
        """Only ever a reply: the person wrote to us within the keep window.

        The product never starts a conversation with a number: it cannot know whether the
        phone is in safe hands right now (SECURITY.md 13).
        """
        return self._clock() - contact.last_inbound_at <= self.keep

    async def _turn(self, unread: Unread, danger: Danger, answered: _Answered) -> Turn:
        """Read a new message after the person's older ones, under their lock so that replies
        keep their order; if the webhook did not wait, send what it did not already give."""
        async with self._locks.hold(unread.pseudonym):
            contact = await self._contact(unread.pseudonym)
            if contact is None:  # forgotten by a quick exit in between
                return Turn(unread.pseudonym, [])
            replies: list[Reply] = []
            older = await self._db(
                inbox.claim_due,
                self._keyring,
                now=self._clock(),
                lease=TURN_LEASE,
                pseudonym=unread.pseudonym,
            )
            for message in older:
                contact, more = await self._read(message, contact, first_time=False)
                replies += more
            contact, more = await self._read(unread, contact, first_time=True, danger=danger)
            replies += more
            turn = Turn(unread.pseudonym, await self._finish(contact, replies), contact)
            if answered.late:
                news = [reply for reply in turn.replies if reply.kind not in answered.told]
                with contextlib.suppress(TimeoutError):  # a channel that never says: go anyway
                    await asyncio.wait_for(answered.given.wait(), timeout=GIVEN_WAIT_SECONDS)
                await self.deliver(dataclasses.replace(turn, replies=news))
            return turn

    async def _wipe(self, pseudonym: str) -> None:
        async with self._locks.hold(pseudonym):
            for pause in (*WIPE_RETRY_PAUSES, None):
                try:
                    await self.rasa().wipe(pseudonym)
                    return
                except RasaUnavailable as error:
                    if pause is None:
                        log.warning("messaging exit: not wiped, it will expire: %s", error)
                        return
                await asyncio.sleep(pause)

    def _spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` past the webhook's answer; kept referenced until done, failures logged."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._settled)
        return task

    def _settled(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            log.error("a messaging turn or wipe failed (%s)", type(error).__name__)

    async def _read(
        self,
        message: Unread,
        contact: Contact,
        *,
        first_time: bool,
        danger: Danger | None = None,
    ) -> tuple[Contact, list[Reply]]:
        text = message.text.strip()
        wording = WORDING_REQUESTS.get(" ".join(text.lower().strip(" .!").split()))
        if wording:
            await self._db(contacts.set_wording, contact.pseudonym, wording)
            await self._db(inbox.finish, message.id)
            contact = dataclasses.replace(contact, wording=wording)
            return contact, [Reply(texts.line(self.profile, f"{wording}_on"))]
        if len(text) > MAX_MESSAGE_CHARS:
            await self._db(inbox.finish, message.id)
            return contact, [Reply(texts.line(self.profile, "too_long"))]

        danger = await assess_async(text) if danger is None else danger
        emergency = danger is Danger.NOW
        answered = await self._answer_here(text, contact)
        if answered is not None:
            await self._db(inbox.finish, message.id)
            return contact, [self._numbers(contact), *answered] if emergency else answered
        try:
            items = await self.rasa().send(
                contact.pseudonym,
                chosen_payload(text, contact.options) or text,
                channel=contact.channel,
                wording=contact.wording,
            )
        except RasaUnavailable as error:
            kept = error.retryable and self._clock() < message.received_at + self.keep
            if kept:
                await self._db(inbox.wait, message.id, now=self._clock(), retry_in=self.retry_every)
            else:
                await self._db(inbox.drop, message.id)
            log.warning("messaging safety net (%s, kept: %s)", error, kept)
            if not first_time:  # the person already had the numbers and knows what happens
                return contact, []
            metrics.safety_net_answered(contact.channel, "kept" if kept else "not_taken")
            return contact, self._safety_net(
                "kept" if kept else "not_kept",
                emergency_first=emergency,
                discreet=contact.wording != "plain",
            )
        await self._db(inbox.finish, message.id)

        replies = from_rasa(items)
        if emergency and not any(r.kind == "emergency" for r in replies):
            replies = [self._numbers(contact), *replies]
        elif danger is Danger.POSSIBLE and not any(r.kind == "emergency" for r in replies):
            reminder = safety.reminder_text(discreet=contact.wording != "plain")
            replies = [*replies, Reply(reminder, kind="reminder")]
        # Rasa answered: the choices now offered replace the old ones.
        contact = dataclasses.replace(contact, options=offered(replies))
        return contact, replies

    async def _answer_here(self, text: str, contact: Contact) -> list[Reply] | None:
        """Follow-up codes, messages to the team and stray numbers; None: for Rasa to read."""
        if follow_up.looks_like_code(text):
            return await self._db(
                follow_up.check_code,
                self._keyring,
                self._hash_key,
                self.profile,
                pseudonym=contact.pseudonym,
                code=text,
                now=self._clock(),
            )
        to_team = follow_up.message_to_team(text)
        if to_team is not None:
            return await self._db(
                follow_up.send_to_team,
                self._keyring,
                self._hash_key,
                self.profile,
                pseudonym=contact.pseudonym,
                message=to_team,
                now=self._clock(),
            )
        if is_bare_number(text) and chosen_payload(text, contact.options) is None:
            return [choices.not_listed(self.profile, contact.channel, contact.options)]
        return None

    def _numbers(self, contact: Contact) -> Reply:
        """The emergency numbers, in the wording the contact chose."""
        text = safety.emergency_text(self.profile, discreet=contact.wording != "plain")
        return Reply(text, kind="emergency")

    async def _finish(self, contact: Contact, replies: list[Reply]) -> list[Reply]:
        """Add the first-reply advice for a new contact and remember what was offered."""
        if replies and not contact.introduced and contact.channel in FIRST_REPLY_KEY:
            advice = Reply(texts.line(self.profile, FIRST_REPLY_KEY[contact.channel]))
            leading = 0
            while leading < len(replies) and replies[leading].kind in LEADING_KINDS:
                leading += 1
            replies = [*replies[:leading], advice, *replies[leading:]]
        await self._db(
            contacts.remember_reply,
            contact.pseudonym,
            options=contact.options,
            introduced=contact.introduced or bool(replies),
        )
        return replies

    def _safety_net(
        self, status_line: str, *, emergency_first: bool, discreet: bool = True
    ) -> list[Reply]:
        """The numbers and what happens to the message: "kept" (Rasa down: read later), "slow"
        (the answer follows) or "not_kept" (please send it again)."""
        what_next = texts.line(
            self.profile, status_line, minutes=round(self.settings.messaging_keep_minutes)
        )
        numbers = Reply(safety.emergency_text(self.profile, discreet=discreet), kind="emergency")
        status = Reply(what_next, kind="unavailable" if status_line == "not_kept" else "kept")
        return [numbers, status] if emergency_first else [status, numbers]

    async def _contact(self, pseudonym: str) -> Contact | None:
        return await self._db(contacts.load, self._keyring, pseudonym)

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await in_session(self._sessions, fn, *args, **kwargs)
