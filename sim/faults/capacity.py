"""Capacity faults: more traffic than usual, and an autoscaler that is not allowed to follow
it. The surge is outside the cluster (the load generator sends more), the HPA is an object an
SRE can read and change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from sim.faults import PRIMITIVES, _get
from sim.kube.targets import Target
from sim.registry import Params

if TYPE_CHECKING:
    from sim.cluster import SimCluster


class SurgeParams(Params):
    factor: float = Field(gt=0)  # times the usual request rate, from the fault time on


@PRIMITIVES.register(
    "traffic_surge",
    SurgeParams,
    "The load generator sends `factor` times its usual traffic (a campaign, a retry storm): "
    "CPU rises with it on every service the requests reach",
)
def _traffic_surge(cluster: SimCluster, namespace: str, p: SurgeParams) -> None:
    cluster.metrics.traffic.add_surge(namespace, cluster.world.now, p.factor)


class AutoscalerParams(Params):
    deployment: str
    min_replicas: int = Field(1, ge=1)
    max_replicas: int = Field(ge=1)
    cpu_utilization: int = Field(80, gt=0)  # target average % of the CPU request


@PRIMITIVES.register(
    "autoscaler",
    AutoscalerParams,
    "A HorizontalPodAutoscaler on CPU for the deployment; with a low maxReplicas it pins "
    "at the maximum under load (ScalingLimited/TooManyReplicas) while the pods saturate",
)
def _autoscaler(cluster: SimCluster, namespace: str, p: AutoscalerParams) -> None:
    _get(cluster, "Deployment", namespace, p.deployment)
    cluster.api.create(
        Target.of("HorizontalPodAutoscaler", namespace),
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": p.deployment, "namespace": namespace},
            "spec": {
                "scaleTargetRef": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": p.deployment,
                },
                "minReplicas": p.min_replicas,
                "maxReplicas": p.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {
                                "type": "Utilization",
                                "averageUtilization": p.cpu_utilization,
                            },
                        },
                    }
                ],
            },
        },
    )
