"""What the danger check costs the gateway: load time, memory, and time per message on one core.

Reported numbers, never timed assertions. Run by `make bench` after the model is built; the
classifier runs with one onnxruntime thread, as in the gateway.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

MESSAGES = {
    "short": "hes got a nife",
    "sentence": "he came back drunk tonight and i am scared of what he will do to me and the kids",
    "long (2,000 characters)": ("we had another argument about money and the rent " * 40)[:2000],
}
ROUNDS = 200


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def per_call_ms(fn: Callable[[str], object], text: str) -> tuple[float, float]:
    """Median and 95th percentile of one call, in milliseconds, after one warm-up call."""
    fn(text)
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn(text)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def main() -> int:
    before = rss_mb()
    start = time.perf_counter()
    # Imported here so that the import of onnxruntime and numpy is counted with the load.
    from channels.danger import assess as assess_module
    from channels.danger import words

    model = assess_module.classifier()
    load_s = time.perf_counter() - start
    if model is None:
        print("danger classifier not built: run `make danger-model`", file=sys.stderr)
        return 1
    print(f"danger check: imported and loaded in {load_s:.2f} s, +{rss_mb() - before:.0f} MB")
    print(f"{'message':<26}{'words ms':>12}{'classifier ms':>16}{'assess ms':>12}  (median / p95)")
    for name, text in MESSAGES.items():
        cells = [per_call_ms(fn, text) for fn in (words.fires, model.probability)]
        cells.append(per_call_ms(assess_module.assess, text))
        print(f"{name:<26}" + "".join(f"{m:>8.2f} /{p:>5.2f}" for m, p in cells))
    print(f"process resident memory: {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
