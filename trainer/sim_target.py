"""The agents' view of a served `sim` scenario: the same ClusterTarget a production cluster
gives (kubeconfig, the reader and writer contexts, Prometheus and Jaeger URLs). Lives in the
composition layer that may import both (`agents` never imports `sim`): the trainer, whose
evaluation runs the agents on sim scenarios; the CLI uses it too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.target import ClusterTarget

if TYPE_CHECKING:
    from sim.session import RunningScenario


def target_for(running: RunningScenario, namespace: str | None = None) -> ClusterTarget:
    cluster = running.cluster
    if cluster.kubeconfig is None:
        raise ValueError("the scenario is not served")
    return ClusterTarget(
        kubeconfig=cluster.kubeconfig,
        executor_context="sim-writer",
        namespace=namespace or running.namespace,
        prometheus_url=cluster.prometheus_url,
        jaeger_url=cluster.jaeger_url,
        kubectl_cache=cluster.kubectl_cache,
    )
