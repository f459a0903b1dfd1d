"""A stock `rasa init` bot, trained by the benchmark itself and run beside Quiet Door as reference.

The reference is what anyone gets from `rasa init --no-prompt` with the Rasa installed here, so a
ratio Quiet Door / stock bot measured in one run on one machine says what our choices cost or save,
whatever the machine. `rasa init` copies a template out of the Rasa package and trains it with no
network. Training takes minutes, so the model (and the template's credentials.yml, whose `rest:`
is the REST channel) is kept under var/bench/ keyed by the Rasa version; later runs skip training.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ops.stack import RASA_BIN

#: Rasa's own first conversation in the template's stories, two presses and two typed lines,
#: as Quiet Door's bench script is: greet, a sad mood, "yes" it helped, goodbye.
SCRIPT = ("/greet", "/mood_unhappy", "yes it did", "bye")


def rasa_version() -> str:
    """The installed Rasa's version, read without importing Rasa (which takes seconds)."""
    return subprocess.run(
        [
            str(RASA_BIN / "python"),
            "-c",
            "import importlib.metadata as m; print(m.version('rasa'))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def quiet_env(var_dir: Path) -> dict[str, str]:
    """The logging and telemetry settings Quiet Door's Rasa runs with, so neither pays for more."""
    return {
        "PATH": str(RASA_BIN) + ":/usr/bin:/bin",
        "HOME": str(var_dir),
        "RASA_TELEMETRY_ENABLED": "false",
        "SANIC_HOST": "127.0.0.1",
        "SANIC_ACCESS_LOG": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


@dataclass
class StockBot:
    """Trains (once per Rasa version) and runs the stock bot on a loopback port."""

    var_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def cache(self) -> Path:
        return self.var_dir / f"stock-rasa-{rasa_version()}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def ensure_model(self) -> Path:
        """The cached model, made by `rasa init --no-prompt` in a temporary folder on a miss."""
        cache = self.cache
        if (cache / "model.tar.gz").exists():
            return cache
        self.var_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.var_dir, prefix="rasa-init-") as folder:
            log = self.var_dir / "stock-init.log"
            print(f"training the stock `rasa init` bot once (log: {log})", flush=True)
            with log.open("wb") as out:
                subprocess.run(
                    [str(RASA_BIN / "rasa"), "init", "--no-prompt", "--init-dir", folder],
                    cwd=folder,
                    env=quiet_env(self.var_dir),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=True,
                    timeout=1800,
                )
            (model,) = Path(folder, "models").glob("*.tar.gz")
            staging = Path(folder, "cache")
            staging.mkdir()
            shutil.copy(model, staging / "model.tar.gz")
            shutil.copy(Path(folder, "credentials.yml"), staging / "credentials.yml")
            staging.rename(cache)  # whole or absent, even if a run is stopped half-way
        return cache

    def start(self) -> None:
        """`rasa run --enable-api` on the cached model with the template's channels (REST)."""
        cache = self.ensure_model()
        log = (self.var_dir / "stock-rasa.out").open("ab")
        self.process = subprocess.Popen(
            [
                str(RASA_BIN / "rasa"), "run", "--enable-api",
                "--model", str(cache / "model.tar.gz"),
                "--credentials", str(cache / "credentials.yml"),
                "-i", "127.0.0.1", "-p", str(self.port), "--quiet",
            ],
            cwd=cache, env=quiet_env(self.var_dir), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Wait until /status names a loaded model."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the stock bot stopped; see {self.var_dir}/stock-rasa.out")
            try:
                with urllib.request.urlopen(f"{self.url}/status", timeout=2) as answer:  # noqa: S310
                    if json.load(answer).get("model_file"):
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the stock bot was not ready in {timeout:.0f}s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


if __name__ == "__main__":
    from ops.stack import ROOT

    print(StockBot(ROOT / "var" / "bench", port=0).ensure_model())
