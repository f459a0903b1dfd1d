"""Message latency and throughput through the gateway versus straight to Rasa, in one run.

Both paths are measured against the same running product, interleaved round by round, so the
ratio (gateway / direct) is what the gateway adds, whatever the machine's speed. SMS (Twilio) and
Telegram webhooks are measured in the same rounds and reported as ratios to the web chat path,
so their extra cost (signature or secret check, the SQLite inbox, sealed contacts, the Bot API
calls) is seen against the same machine at the same moment. Reported ratios, never timed
assertions. Traffic goes to loopback only (Twilio and Telegram are local stand-ins) and every
loop is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import under_load
from bench.stats import Sample, summarise
from bench.stock_bot import StockBot
from bench.web_load import EMERGENCY, SCRIPT, Conversation, run_load, timed, web_chat
from ops.stack import ROOT, Ports, Stack, environment_with
from tests.channels.channel_standins import ServerThread
from tests.channels.messaging_standins import (
    PUBLIC_BASE_URL,
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_PATH,
    TELEGRAM_SECRET,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_NUMBER,
    TWILIO_PATH,
    StandInTelegram,
    StandInTwilio,
    button_update,
    text_update,
    twilio_params,
    twilio_signature,
)

ROUNDS = 3
CONVERSATIONS = {1: 8, 20: 40}
MESSAGING = ("sms", "telegram")
STARTUP_S = 600  # two Rasa models loading at once on a busy 2-core machine take minutes
TELEGRAM_HEADERS = {
    "Content-Type": "application/json",
    "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
}


@dataclass
class Sms:
    """Twilio's inbound SMS, signed with Twilio's own validator; the reply is the TwiML answer.

    Fresh numbers and MessageSids every conversation and run: var/bench keeps its database, and
    a reused MessageSid would be dropped as a retry by the exactly-once inbox.
    """

    url: str
    numbers: Iterator[str]

    async def __call__(self, client: httpx.AsyncClient, sample: Sample) -> None:
        phone = next(self.numbers)
        for text in SCRIPT:
            params = twilio_params(text, sender=phone, sid=f"SM{uuid.uuid4().hex}")
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": twilio_signature(params),
            }
            body = urlencode(params).encode()
            answer = await timed(sample, client.post(self.url, content=body, headers=headers))
            if "<Message>" not in answer.text:
                raise RuntimeError(f"SMS webhook answered {text!r} without a reply")


def phone_numbers(count: int) -> Iterator[str]:
    """Distinct +447700 9xxxxx numbers (a fictional range; nothing leaves the machine)."""
    return iter(f"+4477009{n:05d}" for n in random.sample(range(100_000), count))


@dataclass
class Telegram:
    """Telegram's updates with the webhook secret, each chat new.

    The gateway answers 200 only after it has sent the replies to the (stand-in) Bot API, so the
    request time is the reply time. As on Telegram: "/greet" is the /start command, a payload
    such as "/affirm" is a press on the bot's inline button, the rest is typed.
    """

    url: str
    api: StandInTelegram

    async def __call__(self, client: httpx.AsyncClient, sample: Sample) -> None:
        chat_id = random.randrange(10**9, 10**12)
        for text in SCRIPT:
            body = json.dumps(self.update(chat_id, text)).encode()
            before = len(self.api.sent_ids(chat_id))
            await timed(sample, client.post(self.url, content=body, headers=TELEGRAM_HEADERS))
            if len(self.api.sent_ids(chat_id)) == before:  # 200 also when sending failed
                raise RuntimeError(f"Telegram webhook sent no reply to {text!r}")

    def update(self, chat_id: int, text: str) -> dict:
        if text == "/greet":
            update = text_update(chat_id, "/start")
        elif text.startswith("/"):
            update = button_update(chat_id, text, self.api.sent_ids(chat_id)[-1])
        else:
            update = text_update(chat_id, text)
        # A fresh id: the inbox keeps delivery ids for days and drops a repeat as a retry.
        return update.to_dict() | {"update_id": random.getrandbits(48)}


async def emergency_latency(url: str, sample: Sample, count: int = 10) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(count):
            started = time.perf_counter()
            answer = await client.post(url, json={"sender": uuid.uuid4().hex, "message": EMERGENCY})
            sample.latencies.append(time.perf_counter() - started)
            assert "999" in json.dumps(answer.json())
            sample.messages += 1
        sample.wall = sum(sample.latencies)


async def measure(stack: Stack, telegram_api: StandInTelegram) -> dict[str, dict[str, float]]:
    urls = {
        "gateway": f"{stack.gateway_url}/webhooks/rest/webhook",
        "direct": f"{stack.rasa_url}/webhooks/gateway/webhook",
    }
    paths: dict[str, Conversation] = {
        **{path: web_chat(url) for path, url in urls.items()},
        "sms": Sms(
            stack.gateway_url + TWILIO_PATH, phone_numbers(ROUNDS * sum(CONVERSATIONS.values()))
        ),
        "telegram": Telegram(stack.gateway_url + TELEGRAM_PATH, telegram_api),
    }
    results: dict[str, dict[str, float]] = {}
    samples = {(p, c): Sample() for p in paths for c in CONVERSATIONS}
    for _ in range(ROUNDS):  # interleaved, so drift in machine load hits every path alike
        for concurrency, conversations in CONVERSATIONS.items():
            for path, converse in paths.items():
                await run_load(converse, concurrency, conversations, samples[(path, concurrency)])
    for (path, concurrency), sample in samples.items():
        results[f"{path} c={concurrency}"] = summarise(sample)
    for path, url in urls.items():
        sample = Sample()
        await emergency_latency(url, sample)
        results[f"{path} emergency"] = summarise(sample)
    return results


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ratios(a: dict[str, float], b: dict[str, float]) -> str:
    return (
        f"p50 {a['p50_ms'] / b['p50_ms']:.3f}  p95 {a['p95_ms'] / b['p95_ms']:.3f}"
        f"  throughput {a['msgs_per_s'] / b['msgs_per_s']:.3f}"
    )


def report(results: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"{'path':<20}{'p50 ms':>10}{'p95 ms':>10}{'msgs/s':>10}{'n':>6}"]
    lines += [
        f"{name:<20}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}{r['msgs_per_s']:>10.1f}"
        f"{r['messages']:>6.0f}"
        for name, r in results.items()
    ]
    lines.append("")
    lines.append("ratio gateway / direct (1.00 = no overhead; target: latency < 1.10)")
    for label in [*(f"c={c}" for c in CONVERSATIONS), "emergency"]:
        gateway, direct = results[f"gateway {label}"], results[f"direct {label}"]
        lines.append(f"  {label:<10} {ratios(gateway, direct)}")
    lines.append("")
    lines.append("messaging / web chat, all through the gateway (no target; reported only)")
    for channel in MESSAGING:
        for c in CONVERSATIONS:
            messaging, web = results[f"{channel} c={c}"], results[f"gateway c={c}"]
            lines.append(f"  ratio {channel + ' / web':<16} c={c:<4} {ratios(messaging, web)}")
    return lines


def messaging_env(twilio_url: str, telegram_url: str) -> dict[str, str]:
    """Both channels on, with Twilio's and Telegram's APIs as local stand-ins."""
    return {
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": TWILIO_NUMBER,
        "TWILIO_API_BASE_URL": twilio_url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_BOT_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": f"{telegram_url}/bot",
    }


#: Every simulated person speaks from 127.0.0.1, faster than anyone types: the web chat's rate
#: limits (channels/web/limits.py) would time refusals, not the chat.
UNLIMITED_WEB_CHAT = {
    "QD_WEB_CHAT_MESSAGES_PER_MINUTE_PER_SENDER": "100000",
    "QD_WEB_CHAT_MESSAGES_PER_MINUTE_PER_ADDRESS": "100000",
    "QD_WEB_CHAT_NEW_CONVERSATIONS_PER_HOUR_PER_ADDRESS": "100000",
}


def share_danger_model(var_dir: Path, bench_dir: Path) -> None:
    """The gateway loads the danger classifier from its QD_VAR_DIR, here var/bench: link it there,
    or the bench would time a gateway that judges danger by its words alone."""
    link = bench_dir / "models" / "danger"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)  # a link left dangling by a moved var/
        link.symlink_to(var_dir / "models" / "danger", target_is_directory=True)


def main() -> int:
    started = time.monotonic()
    var_dir = ROOT / "var"
    bench_dir = var_dir / "bench"
    share_danger_model(var_dir, bench_dir)
    ports = Ports(
        rasa=free_port(),
        actions=free_port(),
        gateway=free_port(),
        gateway_host="127.0.0.1",
        internal=free_port(),
    )
    telegram_api = StandInTelegram()
    stock = StockBot(bench_dir, port=free_port())
    with contextlib.ExitStack() as running:
        running.callback(stock.stop)
        stock.start()  # trains it first if this Rasa version has no cached stock model
        twilio_server = ServerThread(StandInTwilio().app()).start()
        running.callback(twilio_server.stop)
        telegram_server = ServerThread(telegram_api.app()).start()
        running.callback(telegram_server.stop)
        stack = Stack(
            var_dir=bench_dir,
            env=environment_with(bench_dir)
            | messaging_env(twilio_server.url, telegram_server.url)
            | UNLIMITED_WEB_CHAT,
            ports=ports,
            model=var_dir / "models" / "quietdoor.tar.gz",
        )
        running.callback(stack.stop)
        stack.start()
        stack.wait_ready(timeout=STARTUP_S)
        stock.wait_ready(timeout=STARTUP_S)
        results = asyncio.run(measure(stack, telegram_api))
        load = asyncio.run(under_load.measure(stack, stock))
    lines = [*report(results), "", *under_load.report(load)]
    print("\n".join(lines))
    out = var_dir / "reports" / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"gateway_vs_direct": results, **load}, indent=2))
    print(f"\nfull results: {out.relative_to(ROOT)} (run took {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
