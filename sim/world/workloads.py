"""The workload controllers of kube-controller-manager, run together in one pass."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sim.world.batch import JobController
from sim.world.controllers import Controller
from sim.world.deployments import DeploymentController, ReplicaSetController
from sim.world.sets import DaemonSetController, StatefulSetController

if TYPE_CHECKING:
    from sim.world.runtime import World


class WorkloadControllers:
    def __init__(self, world: World) -> None:
        self.controllers: list[Controller] = [
            DeploymentController(world),
            ReplicaSetController(world),
            StatefulSetController(world),
            JobController(world),
            DaemonSetController(world),
        ]

    def sync(self, t: datetime) -> bool:
        changed = False
        for controller in self.controllers:
            changed |= controller.sync(t)
        return changed

    def wake_times(self) -> list[datetime]:
        return [t for controller in self.controllers for t in controller.wake_times()]
