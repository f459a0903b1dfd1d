"""`make run`: start the product on embedded defaults and say where a person finds it."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from ops.stack import ROOT, Ports, Stack, environment_with


def main() -> int:
    var_dir = Path(os.environ.get("QD_VAR_DIR", ROOT / "var")).resolve()
    port = int(os.environ.get("PORT", "8000"))
    stack = Stack(var_dir=var_dir, env=environment_with(var_dir), ports=Ports(gateway=port))

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print("Starting Quiet Door (Rasa, action server, gateway)...", flush=True)
    stack.start()
    try:
        stack.wait_ready()
        print(f"\n  Web chat:     http://localhost:{port}/", flush=True)
        print(f"  Staff inbox:  http://localhost:{port}/staff/inbox", flush=True)
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
