"""Copies of one snapshot share what their world's state determines, and only that."""

from __future__ import annotations

from datetime import timedelta

from sim.kube.resources import resource_for_kind
from sim.scenario import find_scenario
from sim.session import RunningScenario, start_scenario
from sim.world import pasts
from tests.conftest import PRESENT


def _log(running: RunningScenario, pod: str) -> str:
    return running.cluster.world.logs(
        running.namespace,
        pod,
        None,
        previous=False,
        tail_lines=20,
        since_seconds=None,
        timestamps=True,
    )


def _first_pod(running: RunningScenario) -> str:
    pods = running.cluster.world.store.iter(resource_for_kind("Pod"), running.namespace)
    return next(str(p["metadata"]["name"]) for p in pods if len(p["spec"]["containers"]) == 1)


def test_copies_share_reads_only_while_they_stand_where_the_snapshot_was_taken() -> None:
    scenario = find_scenario("revoke_auth_mongodb-1")
    with (
        start_scenario(scenario, present=PRESENT, serve=False) as one,
        start_scenario(scenario, present=PRESENT, serve=False) as two,
    ):
        worlds = one.cluster.world, two.cluster.world
        assert worlds[0] is not worlds[1] and worlds[0].past == worlds[1].past is not None
        pod = _first_pod(one)
        text = _log(one, pod)
        assert _log(two, pod) is text  # the answer one computed, not computed again
        shared = pasts.unchanged(worlds[1], "logs")
        assert shared is not None and text in shared.values()
        # Time passes in one copy: its reads are its own from then on; the other still shares.
        two.cluster.advance(60)
        assert pasts.unchanged(worlds[1], "logs") is None
        later = _log(two, pod)
        assert later != text and _log(one, pod) is text
        # Its past is still the snapshot's: traces of moments before it are shared.
        before = PRESENT - timedelta(minutes=1)
        assert pasts.past(worlds[1], "traces", before) is pasts.past(worlds[0], "traces", before)
        assert pasts.past(worlds[1], "traces", PRESENT + timedelta(seconds=30)) is None


def test_a_load_surge_stops_the_sharing_of_the_world_it_reaches() -> None:
    scenario = find_scenario("revoke_auth_mongodb-1")
    with start_scenario(scenario, present=PRESENT, serve=False) as running:
        assert pasts.unchanged(running.cluster.world, "instant queries") is not None
        running.cluster.metrics.traffic.add_surge(running.namespace, PRESENT, 3.0)
        assert running.cluster.world.past is None
        assert pasts.unchanged(running.cluster.world, "instant queries") is None
        assert pasts.past(running.cluster.world, "traces", PRESENT - timedelta(hours=1)) is None
