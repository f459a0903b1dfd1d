"""Quiet Door beside a stock `rasa init` bot at 1, 10 and 50 conversations; the emergency answer
under load and with Rasa paused; the memory of every process. The issue 9 benchmark.

Both bots run on this machine in the same run and are driven alike, interleaved round by round,
so the ratios Quiet Door / stock bot hold whatever the machine's speed. Quiet Door is measured as
a person meets it, through the gateway; the stock bot on Rasa's REST channel. Every loop is
bounded in count and time, traffic stays on loopback, and paused processes are always resumed.
Reported figures and targets, never timed assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import time
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import httpx

from bench.processes import descendants, memory_mb, paused
from bench.stats import Sample, ratio, summarise
from bench.stock_bot import SCRIPT as STOCK_SCRIPT
from bench.stock_bot import StockBot
from bench.web_load import EMERGENCY, SCRIPT, run_load, web_chat
from ops.stack import Stack

#: Concurrent conversations: conversations run per round at that concurrency.
LEVELS = {1: 6, 10: 30, 50: 100}
ROUNDS = 2
BACKGROUND = 50  # conversations kept running while the emergency answer is timed
TALKER_CONVERSATIONS = 200  # at most, one after another, for each of them
WARM_UP_S = 3.0
PROBES = 40  # emergency messages per condition (12 made p95 the slowest but one), each a new sender
PROBE_GAP_S = 0.25
TIMEOUT_S = 30.0  # longest any one message is waited for

TARGETS = {
    "throughput_ratio_at_50": ">= 3",
    "p95_at_50": "below the stock bot's",
    "fairness_p95_over_p50_at_50": "<= 3",
    "emergency_p95_ms": "<= 10",
    "rasa_worker_rss_mb": "<= 600",
}


async def versus_stock(quiet_door_url: str, stock_url: str) -> dict[str, dict[str, float]]:
    """Throughput and latency of both bots at each level, interleaved so drift hits both alike."""
    bots = {"quiet_door": web_chat(quiet_door_url), "stock": web_chat(stock_url, STOCK_SCRIPT)}
    samples = {(bot, level): Sample() for bot in bots for level in LEVELS}
    for _ in range(ROUNDS):
        for level, conversations in LEVELS.items():
            for bot, converse in bots.items():
                await run_load(converse, level, conversations, samples[(bot, level)])
    return {f"{bot} c={level}": summarise(sample) for (bot, level), sample in samples.items()}


@dataclass
class Window:
    """Messages that started inside the measured window: ordinary ones and emergency probes."""

    started: float = float("inf")
    closed: float = float("inf")
    ordinary: Sample = field(default_factory=Sample)
    emergency: Sample = field(default_factory=Sample)
    failures: int = 0  # errors, timeouts, and emergency answers without 999

    def inside(self, began: float) -> bool:
        return self.started <= began and time.perf_counter() <= self.closed

    def record(self, sample: Sample, began: float) -> None:
        if self.inside(began):
            sample.latencies.append(time.perf_counter() - began)
            sample.messages += 1

    def summary(self) -> dict[str, float]:
        ordinary_p50 = self.ordinary.p(0.5)
        return {
            **{
                f"emergency_{k}": v
                for k, v in summarise(self.emergency).items()
                if k != "msgs_per_s"  # probes are spaced out: their rate says nothing
            },
            "ordinary_p50_ms": ordinary_p50,
            "ordinary_messages": self.ordinary.messages,
            "emergency_p50_over_ordinary_p50": ratio(self.emergency.p(0.5), ordinary_p50),
            "emergency_p95_over_ordinary_p50": ratio(self.emergency.p(0.95), ordinary_p50),
            "failures": self.failures,
        }


async def emergency_under_load(
    url: str, condition: Callable[[], AbstractContextManager[object]]
) -> dict[str, float]:
    """The emergency answer's time while BACKGROUND conversations run, inside `condition`."""
    limits = httpx.Limits(max_connections=BACKGROUND)
    async with httpx.AsyncClient(timeout=TIMEOUT_S, limits=limits) as client:
        window = Window()

        async def say(text: str, sender: str, sample: Sample) -> bool:
            began = time.perf_counter()
            try:
                answer = await client.post(url, json={"sender": sender, "message": text})
                answer.raise_for_status()
            except httpx.HTTPError:
                window.failures += window.inside(began)
                return False
            window.record(sample, began)
            return True

        async def keep_talking(stop: asyncio.Event) -> None:
            for _ in range(TALKER_CONVERSATIONS):
                sender = uuid.uuid4().hex
                for text in SCRIPT:
                    if stop.is_set():
                        return
                    if not await say(text, sender, window.ordinary):
                        await asyncio.sleep(PROBE_GAP_S)  # no tight loop against a failing server
                        break

        async def probe() -> None:
            loop = asyncio.get_running_loop()
            try:
                seconds, with_999 = await loop.run_in_executor(prober, timed_emergency, url)
            except OSError:  # urllib's errors, refused and timed out among them
                window.failures += 1
                return
            window.emergency.latencies.append(seconds)
            window.emergency.messages += 1
            window.failures += not with_999

        stop = asyncio.Event()
        talkers = [asyncio.create_task(keep_talking(stop)) for _ in range(BACKGROUND)]
        prober = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        try:
            await asyncio.get_running_loop().run_in_executor(prober, int)  # started before timing
            await asyncio.sleep(WARM_UP_S)
            with condition():
                window.started = time.perf_counter()
                probes = []
                for _ in range(PROBES):
                    probes.append(asyncio.create_task(probe()))
                    await asyncio.sleep(PROBE_GAP_S)
                await asyncio.wait(probes, timeout=TIMEOUT_S)
                window.failures += sum(not p.done() for p in probes)
                for task in probes:
                    task.cancel()
                window.closed = time.perf_counter()  # messages still waiting are left out
        finally:
            stop.set()
            for task in talkers:
                task.cancel()
            await asyncio.gather(*talkers, return_exceptions=True)
            prober.shutdown(cancel_futures=True)
    return window.summary()


def timed_emergency(url: str) -> tuple[float, bool]:
    """One emergency message, sent from the probe's own process: seconds to the whole answer,
    and whether it holds 999.

    The 50 conversations' client runs in the bench's event loop; a probe timed there would also
    count the time that loop took to notice the answer, not only the gateway's.
    """
    body = json.dumps({"sender": uuid.uuid4().hex, "message": EMERGENCY}).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - the bench's own http://127.0.0.1 gateway
        url, data=body, headers={"Content-Type": "application/json"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    began = time.perf_counter()
    with opener.open(request, timeout=TIMEOUT_S) as answer:
        text = answer.read()
    return time.perf_counter() - began, b"999" in text


def rasa_pids(stack: Stack) -> dict[str, list[int]]:
    """Each Rasa worker the stack started (`rasa`, or several `rasa...`), with any children."""
    return {
        name: [process.pid, *descendants(process.pid)]
        for name, process in stack.processes.items()
        if name.startswith("rasa")
    }


def memory(stack: Stack, stock: StockBot) -> dict[str, dict[str, float]]:
    """Resident memory now and at peak: each Rasa worker, the gateway, actions, the stock bot."""
    found = {name: memory_mb(pids[0]) for name, pids in rasa_pids(stack).items()}
    for name in ("gateway", "actions"):
        if name in stack.processes:
            found[name] = memory_mb(stack.processes[name].pid)
    if stock.process is not None:
        found["stock_bot"] = memory_mb(stock.process.pid)
    return found


async def measure(stack: Stack, stock: StockBot) -> dict[str, object]:
    """The whole comparison; Rasa is paused last, so nothing after it sees its backlog."""
    gateway = f"{stack.gateway_url}/webhooks/rest/webhook"
    results: dict[str, object] = {"versus_stock": await versus_stock(gateway, stock.webhook)}
    results["emergency_under_load"] = await emergency_under_load(gateway, contextlib.nullcontext)
    results["memory_mb"] = memory(stack, stock)
    every_rasa_pid = [pid for pids in rasa_pids(stack).values() for pid in pids]
    results["emergency_rasa_paused"] = await emergency_under_load(
        gateway, lambda: paused(every_rasa_pid)
    )
    results["targets"] = TARGETS
    results["verdicts"] = verdicts(results)
    return results


def verdicts(results: dict) -> dict[str, bool]:
    """Each target of issue 9 against the figures measured (NaN, a missing figure, is never met)."""
    quiet_door, stock = (
        results["versus_stock"]["quiet_door c=50"],
        results["versus_stock"]["stock c=50"],
    )
    workers = [
        m["peak_rss_mb"] for name, m in results["memory_mb"].items() if name.startswith("rasa")
    ]
    return {
        "throughput_ratio_at_50": ratio(quiet_door["msgs_per_s"], stock["msgs_per_s"]) >= 3,
        "p95_at_50": quiet_door["p95_ms"] < stock["p95_ms"],
        "fairness_p95_over_p50_at_50": ratio(quiet_door["p95_ms"], quiet_door["p50_ms"]) <= 3,
        "emergency_p95_ms": all(
            results[condition]["emergency_p95_ms"] <= 10
            for condition in ("emergency_under_load", "emergency_rasa_paused")
        ),
        "rasa_worker_rss_mb": bool(workers) and all(peak <= 600 for peak in workers),
    }


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(results: dict) -> list[str]:
    """The printed table: the comparison, the emergency answer, memory, each target's verdict."""
    versus, ok = results["versus_stock"], verdicts(results)
    lines = [
        "Quiet Door (gateway) beside a stock `rasa init` bot (REST channel), web chat",
        f"{'conversations':<14}{'QD msg/s':>9}{'stock':>8}{'ratio':>7}"
        f"{'QD p50':>9}{'QD p95':>9}{'stock p50':>10}{'stock p95':>10}{'p95 ratio':>10}",
    ]
    for level in LEVELS:
        qd, stock = versus[f"quiet_door c={level}"], versus[f"stock c={level}"]
        lines.append(
            f"{level:<14}{qd['msgs_per_s']:>9.1f}{stock['msgs_per_s']:>8.1f}"
            f"{ratio(qd['msgs_per_s'], stock['msgs_per_s']):>7.2f}"
            f"{qd['p50_ms']:>9.0f}{qd['p95_ms']:>9.0f}{stock['p50_ms']:>10.0f}"
            f"{stock['p95_ms']:>10.0f}{ratio(qd['p95_ms'], stock['p95_ms']):>10.2f}"
        )
    qd, stock = versus["quiet_door c=50"], versus["stock c=50"]
    lines += [
        f"at 50: throughput ratio {ratio(qd['msgs_per_s'], stock['msgs_per_s']):.2f}"
        f" (target >= 3: {met(ok['throughput_ratio_at_50'])});"
        f" p95 {qd['p95_ms']:.0f} ms vs {stock['p95_ms']:.0f} ms"
        f" (target below: {met(ok['p95_at_50'])});"
        f" fairness p95/p50 {ratio(qd['p95_ms'], qd['p50_ms']):.2f}"
        f" (target <= 3: {met(ok['fairness_p95_over_p50_at_50'])})",
        "",
        f"emergency answer, {BACKGROUND} conversations running"
        f"{'p50 ms':>10}{'p95 ms':>9}{'ordinary p50':>14}{'p95/ordinary':>14}{'n':>4}{'failed':>7}",
    ]
    for label, key in (
        ("Rasa running", "emergency_under_load"),
        ("Rasa paused", "emergency_rasa_paused"),
    ):
        e = results[key]
        lines.append(
            f"  {label:<43}{e['emergency_p50_ms']:>10.1f}{e['emergency_p95_ms']:>9.1f}"
            f"{e['ordinary_p50_ms']:>14.0f}{e['emergency_p95_over_ordinary_p50']:>14.3f}"
            f"{e['emergency_messages']:>4.0f}{e['failures']:>7.0f}"
        )
    lines += [
        f"target p95 <= 10 ms: {met(ok['emergency_p95_ms'])}",
        "",
        "resident memory, MB (now / peak)",
    ]
    lines += [
        f"  {name:<12}{m['rss_mb']:>7.0f} /{m['peak_rss_mb']:>6.0f}"
        for name, m in results["memory_mb"].items()
    ]
    lines.append(f"target <= 600 MB per Rasa worker: {met(ok['rasa_worker_rss_mb'])}")
    return lines
