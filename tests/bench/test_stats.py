"""The benchmark's arithmetic: a wrong percentile or ratio would misreport every figure."""

import math

import pytest

from bench.stats import Sample, percentile, ratio, summarise


def test_percentile_is_a_time_some_message_took() -> None:
    values = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert percentile(values, 0.5) == 0.3
    assert percentile(values, 0.0) == 0.1
    assert percentile(values, 0.95) == 0.5
    assert percentile(values, 1.0) == 0.5


def test_p95_by_nearest_rank() -> None:
    assert percentile(list(range(20)), 0.95) == 19
    assert percentile(list(range(100)), 0.95) == 95


def test_no_values_is_no_figure() -> None:
    assert math.isnan(percentile([], 0.5))


@pytest.mark.parametrize(("a", "b"), [(1.0, 0.0), (math.nan, 2.0), (2.0, math.nan)])
def test_a_missing_ratio_is_nan_so_it_never_meets_a_target(a: float, b: float) -> None:
    assert math.isnan(ratio(a, b))
    assert not ratio(a, b) >= 3
    assert not ratio(a, b) <= 3


def test_ratio() -> None:
    assert ratio(30.0, 10.0) == 3.0


def test_summary_in_milliseconds_and_messages_per_second() -> None:
    sample = Sample(latencies=[0.010, 0.020, 0.030, 0.040], wall=2.0, messages=4)
    summary = summarise(sample)
    assert summary["p50_ms"] == pytest.approx(30.0)
    assert summary["p95_ms"] == pytest.approx(40.0)
    assert summary["mean_ms"] == pytest.approx(25.0)
    assert summary["msgs_per_s"] == 2.0
    assert summary["messages"] == 4


def test_an_empty_sample_summarises_without_failing() -> None:
    summary = summarise(Sample())
    assert math.isnan(summary["p50_ms"])
    assert math.isnan(summary["mean_ms"])
    assert summary["msgs_per_s"] == 0.0
