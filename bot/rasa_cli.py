"""Rasa's command line, with exception logs that never carry local variables.

Rasa 3.6 renders a logged exception with structlog's `dict_tracebacks`, whose default includes
every local variable of every frame: slot values, so a disclosure or a phone number could reach
the log file. This entry point swaps in the same renderer without locals, then runs Rasa as usual
(`python -m bot.rasa_cli run ...`).
"""

from __future__ import annotations

import structlog
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer

structlog.processors.dict_tracebacks = ExceptionRenderer(
    ExceptionDictTransformer(show_locals=False)
)

if __name__ == "__main__":
    from rasa.__main__ import main

    main()
