"""Reads at an instant the world has already settled at re-run nothing, and see what a full
sync would have shown; a write, a clock move or an unsettled world makes the next read sync."""

from __future__ import annotations

from typing import Any

import pytest

from sim.kube.errors import ApiError
from sim.kube.targets import Target
from sim.scenario import find_scenario
from sim.session import start_scenario
from tests.conftest import PRESENT


def _reads(running: Any) -> list[Any]:
    api, ns = running.cluster.api, running.namespace
    pods = api.list(Target.of("Pod", ns))
    out: list[Any] = [pods, api.list(Target.of("Event", ns))]
    for pod in pods:
        name = pod["metadata"]["name"]
        out.append(api.get(Target.of("Pod", ns, name)))
        for container in pod["spec"]["containers"]:
            try:
                out.append(api.logs(ns, name, container["name"], tail_lines=60))
            except ApiError as exc:  # a container waiting to start: the error is the answer
                out.append(str(exc))
    return out


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[int]]:
    running = start_scenario(find_scenario("revoke_auth_mongodb-1"), present=PRESENT, serve=False)
    world, passes = running.cluster.world, [0]
    reconcile = world._reconcile

    def counting() -> bool:
        passes[0] += 1
        return bool(reconcile())

    monkeypatch.setattr(world, "_reconcile", counting)
    return running, passes


def test_reads_at_a_settled_instant_reconcile_nothing_and_see_the_same(counted: Any) -> None:
    running, passes = counted
    first = _reads(running)
    assert passes[0] <= 1  # at most one pass, to confirm the start left it at rest
    before = passes[0]
    again = _reads(running)
    assert passes[0] == before  # dozens of reads, no reconcile
    running.cluster.world.sync()  # what the reads used to do before each answer
    assert passes[0] == before + 1
    assert _reads(running) == again == first


def test_a_write_or_a_clock_move_makes_the_next_read_sync(counted: Any) -> None:
    running, passes = counted
    api, ns = running.cluster.api, running.namespace
    _reads(running)
    before = passes[0]
    api.create(
        Target.of("ConfigMap", ns),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}},
    )
    after_write = passes[0]
    assert after_write > before
    api.list(Target.of("Pod", ns))
    api.list(Target.of("Pod", ns))
    assert passes[0] == after_write  # the write's own sync left the world at rest
    running.cluster.clock.advance(30)
    api.list(Target.of("Pod", ns))
    assert passes[0] > after_write


def test_a_world_still_changing_is_reconciled_again_on_the_next_read(counted: Any) -> None:
    running, passes = counted
    world = running.cluster.world
    world._settled = None  # as after a reconcile that ran out of passes, or saw something new
    before = passes[0]
    running.cluster.api.list(Target.of("Pod", running.namespace))
    assert passes[0] == before + 1
