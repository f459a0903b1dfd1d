"""The stack gives Rasa the in-memory endpoints by default and the Redis ones with QD_REDIS_URL."""

from __future__ import annotations

from pathlib import Path

from ops.stack import ROOT, Ports, Stack

PORTS = Ports(rasa=6100, actions=6200, gateway=6300, gateway_host="127.0.0.1")


def endpoints_of(command: list[str]) -> str:
    return command[command.index("--endpoints") + 1]


def rasa_endpoints(tmp_path: Path, env: dict[str, str]) -> set[str]:
    commands = Stack(var_dir=tmp_path, env=env, ports=PORTS, rasa_workers=2).commands()
    return {endpoints_of(commands[name]) for name in ("rasa-1", "rasa-2")}


def test_the_embedded_default_keeps_conversations_in_memory(tmp_path: Path) -> None:
    assert rasa_endpoints(tmp_path, {}) == {"bot/endpoints.yml"}
    assert rasa_endpoints(tmp_path, {"QD_REDIS_URL": ""}) == {"bot/endpoints.yml"}


def test_with_a_redis_url_every_worker_shares_conversations_through_redis(tmp_path: Path) -> None:
    env = {"QD_REDIS_URL": "redis://127.0.0.1:6379/0", "QD_TRACKER_KEY": "stand-in"}
    assert rasa_endpoints(tmp_path, env) == {"bot/endpoints-redis.yml"}
    assert Stack(var_dir=tmp_path, env=env, ports=PORTS).process_env()["QD_REDIS_URL"] == (
        "redis://127.0.0.1:6379/0"
    )
    assert (ROOT / "bot" / "endpoints-redis.yml").is_file()
