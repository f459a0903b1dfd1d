"""Before `make run` or `make serve` starts any process: every reason not to, said at once.

- The prebuilt models: the Rasa model and the gateway's danger classifier must already be in
  var/models/. `make serve` never trains: production builds them once with `make model` on a
  build machine and ships var/models/ (README, Deploying at scale).
- The gateway's own start-up refusals (api/startup_checks.py: in production development keys,
  http addresses, plain-text alert e-mail, a database not at head), checked in a child process
  with exactly the environment the gateway would get, so Rasa and the action server are never
  started only to be stopped again when the gateway refuses.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ops.stack import ROOT

MODEL_FILES = (Path("models/quietdoor.tar.gz"), Path("models/danger/classifier.json"))
"""The files `make model` builds, under the data directory (QD_VAR_DIR)."""


def missing_models(var_dir: Path) -> list[str]:
    """One line per model file that is not there."""
    return [
        f"{var_dir / name} is missing: build it with `make model` (in production on a build "
        "machine, then copy var/models/ to this server); starting never trains a model"
        for name in MODEL_FILES
        if not (var_dir / name).is_file()
    ]


def gateway_refusals(env: dict[str, str]) -> list[str]:
    """What `python -m api.startup_checks` prints with the gateway's environment."""
    result = subprocess.run(
        [sys.executable, "-m", "api.startup_checks"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return []
    return result.stdout.splitlines() or [f"the gateway's checks failed: {result.stderr.strip()}"]


def refusals(var_dir: Path, env: dict[str, str]) -> list[str]:
    """Every reason not to start: missing models first, then the gateway's own."""
    return [*missing_models(var_dir), *gateway_refusals(env)]
