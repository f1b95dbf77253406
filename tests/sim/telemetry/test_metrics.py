"""cAdvisor series derived from one another (network bytes from CPU, CFS periods from uptime)
and the demand memo that the CPU, throttling and memory series share."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sim.scenario import find_scenario
from sim.session import RunningScenario, start_scenario
from sim.telemetry.history import containers
from sim.telemetry.metrics import CFS_PERIODS_PER_SECOND, MetricStore, Series
from tests.conftest import PRESENT


@pytest.fixture(scope="module")
def hotel() -> RunningScenario:
    return start_scenario(
        find_scenario("noop_detection_hotel_reservation-1"), present=PRESENT, serve=False
    )


def _by_container(store: MetricStore, name: str) -> dict[tuple[str, str], Series]:
    return {(s.labels["pod"], s.labels["container"]): s for s in store.series(name)}


def test_network_bytes_are_the_cpu_counter_scaled(hotel: RunningScenario) -> None:
    store = hotel.cluster.metrics
    cpu = _by_container(store, "container_cpu_usage_seconds_total")
    now = hotel.cluster.world.now
    for name, per_core_second in (
        ("container_network_receive_bytes_total", 4e5),
        ("container_network_transmit_bytes_total", 6e5),
    ):
        series = _by_container(store, name)
        assert series.keys() == cpu.keys()
        for key, s in series.items():
            for t in (now, now - timedelta(minutes=7, seconds=3)):
                used = cpu[key].sample(t)
                assert s.sample(t) == (None if used is None else used * per_core_second)
    counted = [cpu[k].sample(now) for k in cpu]
    assert sum(1 for v in counted if v) > 10  # the series hold real values, not all None


def test_cfs_periods_count_ten_a_second_of_the_running_container(
    hotel: RunningScenario,
) -> None:
    store = hotel.cluster.metrics
    now = hotel.cluster.world.now
    periods = store.series("container_cpu_cfs_periods_total")
    assert periods
    by_key = {(c.pod["metadata"]["name"], c.run.name): c for c in containers(hotel.cluster.world)}
    for s in periods:
        c = by_key[(s.labels["pod"], s.labels["container"])]
        attempt = c.attempt(now)
        expected = (
            None
            if attempt is None
            else CFS_PERIODS_PER_SECOND * (now - attempt.started).total_seconds()
        )
        assert s.sample(now) == pytest.approx(expected)


def test_a_surge_at_the_same_instant_is_not_hidden_by_the_demand_memo() -> None:
    running = start_scenario(
        find_scenario("noop_detection_hotel_reservation-1"), present=PRESENT, serve=False
    )
    store = running.cluster.metrics
    now = running.cluster.world.now
    serving = [
        c
        for c in containers(running.cluster.world)
        if c.pod["metadata"]["name"].startswith("frontend")
    ]
    before = [store.demand(c, now) for c in serving]
    assert any(d and d[0] > 0 for d in before)
    # The load generator triples its rate from a minute ago; the world's state is unchanged.
    store.traffic.add_surge(running.namespace, now - timedelta(minutes=1), 3.0)
    after = [store.demand(c, now) for c in serving]
    assert all(a and b and a[0] > b[0] for a, b in zip(after, before, strict=True) if b and b[0])
    fresh = MetricStore.__new__(MetricStore)
    fresh.__dict__.update(store.__getstate__())  # what a copy of the store starts from
    assert [fresh.demand(c, now) for c in serving] == after
