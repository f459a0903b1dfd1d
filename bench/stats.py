"""The benchmark's arithmetic: percentiles, summaries and ratios, pure so a test can check them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank q-quantile (0 <= q <= 1) of `values`; NaN when there are none.

    Nearest rank rather than interpolation: the figure reported is a time some message really took.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ratio(a: float, b: float) -> float:
    """a / b, NaN when b is zero or either is NaN: a missing figure must not read as a good one."""
    if b == 0 or math.isnan(a) or math.isnan(b):
        return math.nan
    return a / b


@dataclass
class Sample:
    """Latencies in seconds of the messages of one measurement, and the wall time they took."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    messages: int = 0

    def p(self, q: float) -> float:
        """The q-quantile in milliseconds."""
        return percentile(self.latencies, q) * 1000

    @property
    def throughput(self) -> float:
        return self.messages / self.wall if self.wall else 0.0


def summarise(sample: Sample) -> dict[str, float]:
    """What bench.json keeps of a sample."""
    return {
        "p50_ms": sample.p(0.50),
        "p95_ms": sample.p(0.95),
        "mean_ms": statistics.fmean(sample.latencies) * 1000 if sample.latencies else math.nan,
        "msgs_per_s": sample.throughput,
        "messages": sample.messages,
    }
