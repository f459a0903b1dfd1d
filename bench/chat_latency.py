"""Message latency and throughput through the gateway versus straight to Rasa, in one run.

Both paths are measured against the same running product, interleaved round by round, so the
ratio (gateway / direct) is what the gateway adds, whatever the machine's speed. Reported ratios,
never timed assertions. Traffic goes to loopback only and every loop is bounded.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx

from ops.stack import ROOT, Ports, Stack, environment_with

SCRIPT = ("/greet", "/affirm", "what is the number for a helpline", "thank you")
EMERGENCY = "he has a knife and says he will kill me"
ROUNDS = 3
CONVERSATIONS = {1: 8, 20: 40}


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    messages: int = 0

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def throughput(self) -> float:
        return self.messages / self.wall if self.wall else 0.0


async def converse(client: httpx.AsyncClient, url: str, sample: Sample) -> None:
    sender = uuid.uuid4().hex
    for text in SCRIPT:
        started = time.perf_counter()
        answer = await client.post(url, json={"sender": sender, "message": text})
        answer.raise_for_status()
        sample.latencies.append(time.perf_counter() - started)
        sample.messages += 1


async def run_load(url: str, concurrency: int, conversations: int, sample: Sample) -> None:
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)

    async def one(client: httpx.AsyncClient) -> None:
        async with gate:
            await converse(client, url, sample)

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(conversations)))
        sample.wall += time.perf_counter() - started


async def emergency_latency(url: str, sample: Sample, count: int = 10) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(count):
            started = time.perf_counter()
            answer = await client.post(url, json={"sender": uuid.uuid4().hex, "message": EMERGENCY})
            sample.latencies.append(time.perf_counter() - started)
            assert "999" in json.dumps(answer.json())
            sample.messages += 1
        sample.wall = sum(sample.latencies)


async def measure(stack: Stack) -> dict[str, dict[str, float]]:
    paths = {
        "gateway": f"{stack.gateway_url}/webhooks/rest/webhook",
        "direct": f"{stack.rasa_url}/webhooks/gateway/webhook",
    }
    results: dict[str, dict[str, float]] = {}
    samples = {(p, c): Sample() for p in paths for c in CONVERSATIONS}
    for _ in range(ROUNDS):  # interleaved, so drift in machine load hits both paths alike
        for concurrency, conversations in CONVERSATIONS.items():
            for path, url in paths.items():
                await run_load(url, concurrency, conversations, samples[(path, concurrency)])
    for (path, concurrency), sample in samples.items():
        results[f"{path} c={concurrency}"] = summarise(sample)
    for path, url in paths.items():
        sample = Sample()
        await emergency_latency(url, sample)
        results[f"{path} emergency"] = summarise(sample)
    return results


def summarise(sample: Sample) -> dict[str, float]:
    return {
        "p50_ms": sample.p(0.50),
        "p95_ms": sample.p(0.95),
        "mean_ms": statistics.fmean(sample.latencies) * 1000,
        "msgs_per_s": sample.throughput,
        "messages": sample.messages,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def report(results: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"{'path':<20}{'p50 ms':>10}{'p95 ms':>10}{'msgs/s':>10}{'n':>6}"]
    lines += [
        f"{name:<20}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}{r['msgs_per_s']:>10.1f}"
        f"{r['messages']:>6.0f}"
        for name, r in results.items()
    ]
    lines.append("")
    lines.append("ratio gateway / direct (1.00 = no overhead; target: latency < 1.10)")
    for label in [*(f"c={c}" for c in CONVERSATIONS), "emergency"]:
        gateway, direct = results[f"gateway {label}"], results[f"direct {label}"]
        lines.append(
            f"  {label:<10} p50 {gateway['p50_ms'] / direct['p50_ms']:.3f}"
            f"  p95 {gateway['p95_ms'] / direct['p95_ms']:.3f}"
            f"  throughput {gateway['msgs_per_s'] / direct['msgs_per_s']:.3f}"
        )
    return lines


def main() -> int:
    var_dir = ROOT / "var"
    bench_dir = var_dir / "bench"
    ports = Ports(
        rasa=free_port(), actions=free_port(), gateway=free_port(), gateway_host="127.0.0.1"
    )
    stack = Stack(
        var_dir=bench_dir,
        env=environment_with(bench_dir),
        ports=ports,
        model=var_dir / "models" / "quietdoor.tar.gz",
    )
    stack.start()
    try:
        stack.wait_ready()
        results = asyncio.run(measure(stack))
    finally:
        stack.stop()
    lines = report(results)
    print("\n".join(lines))
    out = var_dir / "reports" / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nfull results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
