"""`make run` and `make serve`: start the product and say where a person finds it.

Nothing starts while any reason not to stands (ops/preflight.py): missing models, or the
gateway's own refusals (in production: development keys, http addresses, a database not at
head). `make run` builds the models and migrates first; `make serve` never does.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from api.secret_files import SecretFileError
from api.settings import Settings
from channels.telegram import config as telegram_config
from channels.twilio import config as twilio_config
from ops import preflight
from ops.stack import ROOT, Ports, Stack, environment_with

CHANNEL_VARIABLES = (
    "PUBLIC_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_SECRET_TOKEN",
)


def channel_lines(env: dict[str, str]) -> list[str]:
    """Where Twilio and Telegram must send their webhooks, or which settings are missing."""
    given = {name.lower(): env.get(name) or env.get(f"QD_{name}") for name in CHANNEL_VARIABLES}
    settings = Settings(**{name: value for name, value in given.items() if value})
    base = (settings.public_base_url or "").rstrip("/")
    lines = []
    for label, missing, path in (
        ("SMS/WhatsApp", twilio_config.missing_settings(settings), "/webhooks/twilio/webhook"),
        ("Telegram", telegram_config.missing_settings(settings), "/webhooks/telegram/webhook"),
    ):
        status = f"off (set {', '.join(missing)})" if missing else f"{base}{path}"
        lines.append(f"  {label + ':':<14}{status}")
    return lines


def main() -> int:
    var_dir = Path(os.environ.get("QD_VAR_DIR", ROOT / "var")).resolve()
    port = int(os.environ.get("PORT", "8000"))
    try:
        env = environment_with(var_dir, ROOT / ".env")
    except SecretFileError as error:
        print(f"Not starting: {error}", file=sys.stderr)
        return 2
    internal = int(env.get("QD_INTERNAL_PORT") or port + 1)  # loopback: /internal/* only
    stack = Stack(var_dir=var_dir, env=env, ports=Ports(gateway=port, internal=internal))
    reasons = preflight.refusals(var_dir, stack.process_env())
    if reasons:
        print("\n".join(f"Not starting: {reason}" for reason in reasons), file=sys.stderr)
        return 2

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    workers = f"{stack.rasa_workers} Rasa worker{'s' if stack.rasa_workers != 1 else ''}"
    print(f"Starting Quiet Door ({workers}, action server, gateway)...", flush=True)
    stack.start()
    try:
        stack.wait_ready()
        print(f"\n  Web chat:     http://localhost:{port}/", flush=True)
        print(f"  Staff queue:  http://localhost:{port}/staff/queue", flush=True)
        print("\n".join(channel_lines(env)), flush=True)
        print(f"\nLogs in {var_dir / 'logs'}. Press Ctrl-C to stop.", flush=True)
        while all(process.poll() is None for process in stack.processes.values()):
            time.sleep(1)
        print("A part of the product stopped; see the logs above. Stopping.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
