"""Starting a scenario: build the kind cluster, deploy the app, let it run, inject the faults
at the scenario's fault time, run on to the present, and (optionally) serve it."""

from __future__ import annotations

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
) -> RunningScenario:
    """Build the scenario's cluster as of `present` (default: now).

    With `follow_wall` the served cluster's clock then runs with real time (for people and
    agents working live); otherwise it stands still until someone advances it (tests, eval).
    """
    present = (present or datetime.now(UTC)).replace(microsecond=0)
    history = scenario.history
    deployed = present - timedelta(minutes=history.deployed_minutes_ago)
    app = load_app(scenario.app)
    cluster = SimCluster(
        SimClock(deployed), seed=scenario.seed if seed is None else seed, apps=[app]
    )
    cluster.bootstrap()
    cluster.deploy(app)
    faults = sorted(
        scenario.faults,
        key=lambda f: (
            -(f.at_minutes_ago if f.at_minutes_ago is not None else history.fault_minutes_ago)
        ),
    )
    fault_time = present - timedelta(minutes=history.fault_minutes_ago)
    for fault in faults:
        minutes = (
            fault.at_minutes_ago if fault.at_minutes_ago is not None else history.fault_minutes_ago
        )
        cluster.advance_to(present - timedelta(minutes=minutes))
        inject(cluster, app.namespace, fault)
    cluster.advance_to(present)
    if follow_wall:
        cluster.clock.follow_wall()
    if serve:
        cluster.serve(port=port, kubeconfig=kubeconfig, namespace=app.namespace)
    return RunningScenario(scenario, cluster, app.namespace, fault_time)
