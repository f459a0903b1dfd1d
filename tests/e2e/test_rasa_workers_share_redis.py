"""Two real Rasa workers on one Redis serve one conversation in turn, and quick exit erases it.

With QD_REDIS_URL set, ops/stack.py gives Rasa bot/endpoints-redis.yml: the sealed tracker
store and the Redis lock store. The gateway's own client (channels/rasa_client.py) talks to each
worker in turn for one sender; whatever Redis holds is read the way an intruder on the Redis host
would (`redis-cli`: every key, its value and its DUMP) and must not show what the person typed.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.tracker_seal import TrackerSeal
from channels.rasa_client import RasaClient
from ops.services.redis import free_port, throwaway_redis
from ops.stack import ROOT, Ports, Stack, environment_with
from tests.rasa_tracker import rasa_tracker

MODEL = ROOT / "var" / "models" / "quietdoor.tar.gz"
KEY = os.urandom(32)


@dataclass
class RedisProduct:
    stack: Stack
    redis_url: str

    def redis_cli(self, *args: str) -> bytes:
        return subprocess.run(
            ["redis-cli", "-u", self.redis_url, "--raw", *args], check=True, capture_output=True
        ).stdout

    def stored_keys(self) -> list[str]:
        return self.redis_cli("--scan").decode().split()

    def everything(self) -> bytes:
        """Every key with its value and its DUMP, as one blob to search."""
        return b"".join(
            key.encode() + self.redis_cli("GET", key) + self.redis_cli("DUMP", key)
            for key in self.stored_keys()
        )

    def tracker(self, url: str, sender: str) -> dict:
        return rasa_tracker(url, self.stack.env["QD_RASA_TOKEN"], sender, timeout=60)


@pytest.fixture(scope="module")
def on_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProduct]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests through `make test`")
    var_dir = tmp_path_factory.mktemp("var-redis")
    with throwaway_redis(ROOT / "var" / "tmp") as redis_url:
        env = environment_with(var_dir) | {
            "QD_REDIS_URL": redis_url,
            "QD_TRACKER_KEY": base64.b64encode(KEY).decode(),
        }
        ports = Ports(
            rasa=free_port(),
            actions=free_port(),
            gateway=free_port(),
            gateway_host="127.0.0.1",
            internal=free_port(),
        )
        stack = Stack(var_dir=var_dir, env=env, ports=ports, model=MODEL, rasa_workers=2)
        stack.start()
        try:
            stack.wait_ready()
            yield RedisProduct(stack, redis_url)
        finally:
            stack.stop()


def user_texts(tracker: dict) -> list[str]:
    return [event["text"] for event in tracker["events"] if event["event"] == "user"]


def test_either_worker_continues_the_conversation_and_redis_holds_no_plain_text(
    on_redis: RedisProduct,
) -> None:
    sender = uuid.uuid4().hex
    canary = f"canary{uuid.uuid4().hex[:12]}"
    first_url, second_url = on_redis.stack.rasa_urls
    token = on_redis.stack.env["QD_RASA_TOKEN"]
    said = ["hello", f"my partner {canary} hurts me"]

    async def talk() -> None:
        first, second = RasaClient(first_url, token), RasaClient(second_url, token)
        try:
            assert await first.send(sender, said[0])
            assert await second.send(sender, said[1])
        finally:
            await first.aclose()
            await second.aclose()

    asyncio.run(talk())
    for url in (first_url, second_url):
        assert user_texts(on_redis.tracker(url, sender)) == said

    tracker_key = "qd:tracker:" + TrackerSeal(KEY).name(sender)
    assert tracker_key in on_redis.stored_keys()
    everything = on_redis.everything()
    for secret in (canary, "hurts me", sender):
        assert secret.encode() not in everything
    assert not [key for key in on_redis.stored_keys() if key.startswith("qd:lock:")]  # none left


def test_quick_exit_on_one_worker_erases_the_conversation_for_both(
    on_redis: RedisProduct,
) -> None:
    sender = uuid.uuid4().hex
    first_url, second_url = on_redis.stack.rasa_urls
    token = on_redis.stack.env["QD_RASA_TOKEN"]
    tracker_key = "qd:tracker:" + TrackerSeal(KEY).name(sender)

    async def talk_then_exit() -> None:
        first, second = RasaClient(first_url, token), RasaClient(second_url, token)
        try:
            await first.send(sender, "he took my phone")
            assert tracker_key in on_redis.stored_keys()
            await second.wipe(sender)
        finally:
            await first.aclose()
            await second.aclose()

    asyncio.run(talk_then_exit())
    assert tracker_key not in on_redis.stored_keys()
    assert user_texts(on_redis.tracker(first_url, sender)) == []
