"""The issue 9 targets are judged and printed from the figures, whatever they are."""

import math

from bench.under_load import LEVELS, report, verdicts


def figures(msgs_per_s: float, p50_ms: float, p95_ms: float) -> dict[str, float]:
    return {"msgs_per_s": msgs_per_s, "p50_ms": p50_ms, "p95_ms": p95_ms, "messages": 400}


def emergency(p95_ms: float) -> dict[str, float]:
    return {
        "emergency_p50_ms": p95_ms / 2,
        "emergency_p95_ms": p95_ms,
        "emergency_messages": 12,
        "ordinary_p50_ms": 500.0,
        "emergency_p95_over_ordinary_p50": p95_ms / 500,
        "failures": 0,
    }


def results(
    qd: dict[str, float], stock: dict[str, float], emergency_p95: float, rasa_mb: float
) -> dict:
    versus = {}
    for level in LEVELS:
        versus[f"quiet_door c={level}"] = qd
        versus[f"stock c={level}"] = stock
    return {
        "versus_stock": versus,
        "emergency_under_load": emergency(emergency_p95 / 2),
        "emergency_rasa_paused": emergency(emergency_p95),
        "memory_mb": {
            "rasa-0": {"rss_mb": rasa_mb - 10, "peak_rss_mb": rasa_mb},
            "rasa-1": {"rss_mb": 300.0, "peak_rss_mb": 320.0},
            "gateway": {"rss_mb": 900.0, "peak_rss_mb": 900.0},
        },
    }


def test_every_target_met() -> None:
    good = results(figures(90, 400, 1000), figures(29, 500, 2100), 8.0, 550.0)
    assert all(verdicts(good).values())
    assert not any("NOT met" in line for line in report(good))


def test_each_target_missed_on_its_own_figure() -> None:
    bad = results(figures(80, 200, 2200), figures(29, 500, 2100), 20.0, 650.0)
    ok = verdicts(bad)
    assert ok == {
        "throughput_ratio_at_50": False,  # 2.76x
        "p95_at_50": False,  # 2200 against 2100
        "fairness_p95_over_p50_at_50": False,  # 11x
        "emergency_p95_ms": False,  # 20 ms while paused
        "rasa_worker_rss_mb": False,  # one worker peaked at 650 MB; the gateway is not a worker
    }
    assert sum(line.count("NOT met") for line in report(bad)) == 5


def test_missing_figures_are_never_a_met_target() -> None:
    empty = figures(0.0, math.nan, math.nan)
    ok = verdicts(results(empty, empty, math.nan, math.nan))
    assert not any(ok.values())


def test_the_table_has_a_row_per_level_and_memory_per_process() -> None:
    lines = report(results(figures(90, 400, 1000), figures(30, 500, 2100), 8.0, 550.0))
    rows = [line for line in lines if line.split() and line.split()[0] in {"1", "10", "50"}]
    assert [row.split()[0] for row in rows] == ["1", "10", "50"]
    assert rows[-1].split()[1:4] == ["90.0", "30.0", "3.00"]
    assert any(line.split()[:1] == ["rasa-1"] for line in lines)
    assert any("gateway" in line and "900" in line for line in lines)
