"""Runs Rasa's prediction graph node by node in this thread, as dask's synchronous scheduler does,
without dask's bookkeeping.

Rasa 3.6 runs its graph (the NLU pipeline, then the policies, several times a message) through
`dask.get`: for these small graphs, dask's task queue and the per-run recomputation of the graph's
minimal schema cost about a tenth of a worker's CPU under load (README, "The dialogue engine").
Every node still runs exactly once a run, after the nodes it needs, with the same inputs and the
same results; a failure is raised as Rasa's runner raises it.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner


def _needed(runner: DaskGraphRunner, targets: tuple[str, ...]) -> dict[str, SchemaNode]:
    """The nodes the targets depend on, kept per runner: the same few target lists recur."""
    kept = runner.__dict__.setdefault("_quietdoor_needed", {})
    if targets not in kept:
        kept[targets] = runner._graph_schema.minimal_graph_schema(list(targets)).nodes
    return kept[targets]


def run(
    runner: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """DaskGraphRunner.run without dask: {target: its value} (nodes pass (name, value) pairs)."""
    wanted = tuple(targets) if targets else tuple(runner._graph_schema.target_names)
    nodes = _needed(runner, wanted)
    done: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in nodes:
            raise GraphRunError(f"Input value '{value}' clashes with a node name.")
        done[name] = (name, value)

    def result(name: str) -> Any:
        if name not in done:
            if name not in nodes:
                return name  # not a node: passed on as it is, as dask does
            needs = [result(need) for need in nodes[name].needs.values()]
            done[name] = runner._instantiated_nodes[name](*needs)
        return done[name]

    try:
        return dict(result(target) for target in wanted)
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error


def install() -> None:
    """Make every DaskGraphRunner in this process run its graph this way."""
    DaskGraphRunner.run = run  # type: ignore[method-assign]
