"""Starting a scenario: build the kind cluster, deploy the app, let it run, inject the faults
at the scenario's fault time, run on to the present, and (optionally) serve it."""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sim.apps import load_app
from sim.clock import SimClock
from sim.cluster import SimCluster
from sim.faults import inject
from sim.scenario import Scenario, TaskType
from sim.scoring import Score, score
from sim.telemetry.alertmanager import groups, webhook
from sim.telemetry.alerts import Alert, evaluate
from sim.world import pasts


@dataclass
class RunningScenario:
    scenario: Scenario
    cluster: SimCluster
    namespace: str
    fault_time: datetime

    def score(self, task: TaskType, submission: Any) -> Score:
        return score(self.cluster, self.scenario, self.namespace, task, submission)

    def alerts(self) -> list[Alert]:
        """The alerting rules' pending and firing alerts now."""
        with self.cluster.api.lock:
            return evaluate(self.cluster.metrics, self.cluster.world.now)

    def alert_payload(self) -> dict[str, Any] | None:
        """The Alertmanager webhook (v4) body of the group that pages for this scenario: the
        most severe firing group about the app, else the loudest elsewhere (the noise an
        on-call engineer is paged by when the app itself is fine), else None."""
        firing = groups(self.alerts())
        mine = [g for g in firing if g[0].labels.get("namespace") == self.namespace]
        chosen = (mine or firing)[:1]
        return webhook(chosen[0]) if chosen else None

    def stop(self) -> None:
        self.cluster.stop()

    def __enter__(self) -> RunningScenario:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_scenario(
    scenario: Scenario,
    *,
    present: datetime | None = None,
    follow_wall: bool = False,
    seed: int | None = None,
    serve: bool = True,
    port: int = 0,
    kubeconfig: Path | None = None,
    warm: bool = False,
) -> RunningScenario:
    """Build the scenario's cluster as of `present` (default: now).

    With `follow_wall` the served cluster's clock then runs with real time (for people and
    agents working live); otherwise it stands still until someone advances it (tests, eval).
    With `warm` the metrics' past is computed before the cluster is kept for later starts
    (`MetricStore.warm`): for a caller that starts the same scenario again and queries it
    every time, as eval does; a one-off start would only pay for it.
    """
    present = (present or datetime.now(UTC)).replace(microsecond=0)
    seed = scenario.seed if seed is None else seed
    cluster = _built(scenario, present, seed, warm)
    if follow_wall:
        cluster.clock.follow_wall()
    namespace = load_app(scenario.app).namespace
    if serve:
        cluster.serve(port=port, kubeconfig=kubeconfig, namespace=namespace)
    fault_time = present - timedelta(minutes=scenario.history.fault_minutes_ago)
    return RunningScenario(scenario, cluster, namespace, fault_time)


# Pickled clusters as built, newest last: the same scenario at the same present and seed is
# the same cluster, so its history is simulated once per process and each start gets a fresh
# copy (about 0.4 MB, 1.3 MB warmed; 0.01-0.08 s against 1-5 s to simulate), as every eval
# task and many tests start the same one. Each is kept with whether its metrics are warmed.
# The lock: tests and the demo start scenarios from several threads.
_SNAPSHOTS: OrderedDict[tuple[str, datetime, int], tuple[bytes, bool]] = OrderedDict()
_SNAPSHOTS_LOCK = threading.Lock()
MAX_SNAPSHOTS = 12


def _built(scenario: Scenario, present: datetime, seed: int, warm: bool = False) -> SimCluster:
    memo = (scenario.model_dump_json(), present, seed)
    with _SNAPSHOTS_LOCK:
        kept = _SNAPSHOTS.get(memo)
        if kept is not None:
            _SNAPSHOTS.move_to_end(memo)
    if kept is not None and (kept[1] or not warm):
        cluster: SimCluster = pickle.loads(kept[0])
        return cluster
    cluster = pickle.loads(kept[0]) if kept is not None else _simulate(scenario, present, seed)
    if warm:
        cluster.metrics.warm()
    pasts.mark(cluster.world)
    snapshot = pickle.dumps(cluster, protocol=pickle.HIGHEST_PROTOCOL)
    with _SNAPSHOTS_LOCK:
        _SNAPSHOTS[memo] = (snapshot, warm)
        while len(_SNAPSHOTS) > MAX_SNAPSHOTS:
            _SNAPSHOTS.popitem(last=False)
    return cluster


def _simulate(scenario: Scenario, present: datetime, seed: int) -> SimCluster:
    history = scenario.history
    deployed = present - timedelta(minutes=history.deployed_minutes_ago)
    app = load_app(scenario.app)
    cluster = SimCluster(SimClock(deployed), seed=seed, apps=[app])
    cluster.bootstrap()
    cluster.deploy(app)
    faults = sorted(
        scenario.faults,
        key=lambda f: (
            -(f.at_minutes_ago if f.at_minutes_ago is not None else history.fault_minutes_ago)
        ),
    )
    for fault in faults:
        minutes = (
            fault.at_minutes_ago if fault.at_minutes_ago is not None else history.fault_minutes_ago
        )
        cluster.advance_to(present - timedelta(minutes=minutes))
        inject(cluster, app.namespace, fault)
    cluster.advance_to(present)
    return cluster
