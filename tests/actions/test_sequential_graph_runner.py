"""Rasa's graph run node by node (bot/sequential_graph_runner.py) gives what dask gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot import sequential_graph_runner

CALLS: list[str] = []


class Step(GraphComponent):
    """Adds its config's `add` to the sum of what it needs, noting each run."""

    def __init__(self, config: dict[str, Any], name: str) -> None:
        self.config, self.name = config, name

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Step:
        return cls(config, execution_context.node_name)

    def step(self, **needed: int) -> int:
        CALLS.append(self.name)
        if self.config.get("fail"):
            raise ValueError("this step fails")
        return sum(needed.values()) + self.config["add"]


def node(needs: dict[str, str], add: int, *, target: bool = False, **config: Any) -> SchemaNode:
    return SchemaNode(needs, Step, "create", "step", {"add": add, **config}, is_target=target)


#  message -> a -> b -> c (target);  a -> d (target);  unused (not needed by any target)
SCHEMA = GraphSchema(
    {
        "a": node({"x": "message"}, 1),
        "b": node({"x": "a"}, 10),
        "c": node({"x": "b", "y": "a"}, 100, target=True),
        "d": node({"x": "a"}, 1000, target=True),
        "unused": node({"x": "a"}, 0),
    }
)


@pytest.fixture
def runner(tmp_path: Path) -> DaskGraphRunner:
    CALLS.clear()
    return DaskGraphRunner(SCHEMA, LocalModelStorage(tmp_path), ExecutionContext(SCHEMA, "m"))


def both(runner: DaskGraphRunner, **kwargs: Any) -> tuple[Any, list[str], Any, list[str]]:
    by_dask = runner.run(**kwargs)
    dask_calls = sorted(CALLS)
    CALLS.clear()
    ours = sequential_graph_runner.run(runner, **kwargs)
    return by_dask, dask_calls, ours, sorted(CALLS)


@pytest.mark.parametrize("targets", [None, ["c"], ["d"], ["b", "d"]])
def test_the_same_results_from_the_same_nodes_each_run_once(
    runner: DaskGraphRunner, targets: list[str] | None
) -> None:
    by_dask, dask_calls, ours, our_calls = both(runner, inputs={"message": 5}, targets=targets)
    assert ours == by_dask
    assert our_calls == dask_calls
    assert "unused" not in our_calls and len(set(our_calls)) == len(our_calls)


def test_the_values_are_rasas(runner: DaskGraphRunner) -> None:
    assert sequential_graph_runner.run(runner, inputs={"message": 5}) == {
        "c": (5 + 1 + 10) + (5 + 1) + 100,
        "d": 5 + 1 + 1000,
    }
    # Run again: nothing is kept from one message to the next but which nodes are needed.
    assert sequential_graph_runner.run(runner, inputs={"message": 0}, targets=["d"]) == {"d": 1001}


def test_a_failing_node_fails_the_run_as_rasa_reports_it(tmp_path: Path) -> None:
    schema = GraphSchema({"a": node({"x": "message"}, 1, target=True, fail=True)})
    runner = DaskGraphRunner(schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "m"))
    with pytest.raises(GraphComponentException):
        runner.run(inputs={"message": 1})
    with pytest.raises(GraphComponentException):
        sequential_graph_runner.run(runner, inputs={"message": 1})


def test_an_input_named_like_a_node_is_refused(runner: DaskGraphRunner) -> None:
    with pytest.raises(GraphRunError):
        sequential_graph_runner.run(runner, inputs={"message": "a"})


def test_install_replaces_dasks_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DaskGraphRunner, "run", DaskGraphRunner.run)
    sequential_graph_runner.install()
    assert DaskGraphRunner.run is sequential_graph_runner.run
