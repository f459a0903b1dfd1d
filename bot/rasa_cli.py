"""Rasa's command line, made lighter and safer for Quiet Door (`python -m bot.rasa_cli run ...`).

- Exception logs never carry local variables. Rasa 3.6 renders a logged exception with
  structlog's `dict_tracebacks`, whose default includes every local variable of every frame: slot
  values, so a disclosure or a phone number could reach the log file. The same renderer without
  locals is swapped in.
- No JAX. TensorFlow 2.12 requires JAX and imports it, if it can, only to convert models to
  TensorFlow Lite, which Rasa never does; blocking that import saves about 70 MB in every Rasa
  worker (README, "The dialogue engine").
- The action server's answers are checked with a validator built once
  (bot/action_response_validation.py): Rasa built a new one, meta-schema check included, for
  every answer, half of a worker's CPU under load.
- Rasa's graph runs node by node without dask's scheduler (bot/sequential_graph_runner.py).
- The HTTP API's token comes from QD_RASA_TOKEN in the environment, never `--auth-token`: a
  command line is readable by every local user (bot/api_token.py).
- `rasa run` logs JSON lines without content, like the gateway (bot/json_logging.py).
- A tracker store named in the endpoints that cannot be loaded stops Rasa, where Rasa would
  quietly keep conversations forever in its plain in-memory store (bot/strict_tracker_store.py).
"""

from __future__ import annotations

import sys

import structlog
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer

structlog.processors.dict_tracebacks = ExceptionRenderer(
    ExceptionDictTransformer(show_locals=False)
)
sys.modules.setdefault("jax", None)  # type: ignore[arg-type] - `import jax` now fails at once

if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        from bot import json_logging

        json_logging.install()

    from rasa.__main__ import main

    from bot import (
        action_response_validation,
        api_token,
        sequential_graph_runner,
        strict_tracker_store,
    )

    action_response_validation.install()
    api_token.install()
    sequential_graph_runner.install()
    strict_tracker_store.install()
    main()
