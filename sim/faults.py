"""Fault primitives: reusable, parameterised ways to break an app, each injected through the
same API writes (or in-datastore commands) an operator's mistake or an attacker would use.

A scenario names primitives and parameters; nothing here knows any scenario. Symptoms are not
scripted: they follow from the changed world (a Service pointing at a closed port, a revoked
role, a missing node), so fixing the cause through the API heals the app.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC
from typing import TYPE_CHECKING, Any

from pydantic import Field

from sim.apps import render
from sim.clock import rfc3339
from sim.kube.api import Target
from sim.kube.patch import MERGE, STRATEGIC
from sim.registry import Params, Registry
from sim.world.mongo import ShellError, run_shell_script

if TYPE_CHECKING:
    from sim.cluster import SimCluster
    from sim.scenario import FaultSpec

Obj = dict[str, Any]


class FaultError(RuntimeError):
    """A fault could not be injected (e.g. its target does not exist in the app)."""


PRIMITIVES: Registry[None] = Registry("primitive")


def inject(cluster: SimCluster, namespace: str, fault: FaultSpec) -> None:
    PRIMITIVES.run(cluster, namespace, fault.primitive, fault.params)


# -- helpers --------------------------------------------------------------------------------


def _get(cluster: SimCluster, kind: str, namespace: str | None, name: str) -> Obj:
    try:
        return cluster.api.get(Target.of(kind, namespace, name))
    except Exception as exc:
        raise FaultError(f"{kind} {namespace}/{name} not found") from exc


def _pods_of(cluster: SimCluster, namespace: str, workload: str) -> list[Obj]:
    deployment = _get(cluster, "Deployment", namespace, workload)
    labels = (deployment["spec"].get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    return cluster.api.list(Target.of("Pod", namespace), selector)


def delete_pods(cluster: SimCluster, namespace: str, workloads: list[str]) -> None:
    for workload in workloads:
        for pod in _pods_of(cluster, namespace, workload):
            cluster.api.delete(Target.of("Pod", namespace, pod["metadata"]["name"]))


def rollout_restart(cluster: SimCluster, namespace: str, deployment: str) -> None:
    stamp = rfc3339(cluster.world.now.astimezone(UTC))
    body = {
        "spec": {
            "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}
        }
    }
    cluster.api.patch(Target.of("Deployment", namespace, deployment), body, STRATEGIC)


def _mongo_shell(cluster: SimCluster, namespace: str, target: str, script: str, user: str) -> None:
    pods = [p for p in _pods_of(cluster, namespace, target) if p["spec"].get("nodeName")]
    if not pods:
        raise FaultError(f"no running pod of {target} to run the mongo shell in")
    data = cluster.world.mongo_data(pods[0])
    try:
        run_shell_script(data, script, as_user=user)
    except ShellError as exc:
        raise FaultError(f"mongo shell on {target}: {exc}") from exc


# -- AIOpsLab's faults ----------------------------------------------------------------------


class ServicePortParams(Params):
    service: str
    from_port: int = 9090
    to_port: int = 9999


@PRIMITIVES.register(
    "service_target_port",
    ServicePortParams,
    "Service targetPort changed so traffic goes to a port nothing listens on",
)
def _service_target_port(cluster: SimCluster, namespace: str, p: ServicePortParams) -> None:
    service = _get(cluster, "Service", namespace, p.service)
    for port in service["spec"].get("ports") or []:
        if port.get("targetPort") == p.from_port:
            port["targetPort"] = p.to_port
    cluster.api.update(Target.of("Service", namespace, p.service), service)


class ScaleParams(Params):
    workload: str
    replicas: int = Field(ge=0)
    kind: str = "Deployment"


@PRIMITIVES.register("scale", ScaleParams, "Workload scaled (to zero, or to too few replicas)")
def _scale(cluster: SimCluster, namespace: str, p: ScaleParams) -> None:
    cluster.api.patch(
        Target.of(p.kind, namespace, p.workload, "scale"), {"spec": {"replicas": p.replicas}}, MERGE
    )


class NodeSelectorParams(Params):
    deployment: str
    node_selector: dict[str, str]
    recreate: bool = True


@PRIMITIVES.register(
    "node_selector",
    NodeSelectorParams,
    "Deployment pinned to a node that does not exist; new pods stay Pending",
)
def _node_selector(cluster: SimCluster, namespace: str, p: NodeSelectorParams) -> None:
    deployment = _get(cluster, "Deployment", namespace, p.deployment)
    deployment["spec"]["template"]["spec"]["nodeSelector"] = dict(p.node_selector)
    _replace_workload(cluster, namespace, deployment, p.recreate)


def _replace_workload(cluster: SimCluster, namespace: str, deployment: Obj, recreate: bool) -> None:
    target = Target.of("Deployment", namespace, deployment["metadata"]["name"])
    if recreate:
        # As AIOpsLab does it: delete the deployment, then apply the edited manifest.
        cluster.api.delete(target)
        fresh = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                k: v
                for k, v in deployment["metadata"].items()
                if k in ("name", "namespace", "labels", "annotations")
            },
            "spec": deployment["spec"],
        }
        cluster.api.create(Target.of("Deployment", namespace), fresh)
    else:
        cluster.api.update(target, deployment)


class MongoRoleParams(Params):
    target: str
    user: str = "admin"
    role: str = "readWrite"
    database: str
    as_user: str = "admin"
    restart: list[str] = Field(default_factory=list)


@PRIMITIVES.register(
    "mongodb_revoke_role",
    MongoRoleParams,
    "A MongoDB user loses a role on a database; its clients fail authorization",
)
def _mongodb_revoke_role(cluster: SimCluster, namespace: str, p: MongoRoleParams) -> None:
    _mongo_shell(
        cluster,
        namespace,
        p.target,
        f"db.revokeRolesFromUser('{p.user}', [{{role: '{p.role}', db: '{p.database}'}}]);",
        p.as_user,
    )
    delete_pods(cluster, namespace, p.restart)


class MongoDropUserParams(Params):
    target: str
    user: str = "admin"
    as_user: str = "root"
    restart: list[str] = Field(default_factory=list)


@PRIMITIVES.register(
    "mongodb_drop_user",
    MongoDropUserParams,
    "A MongoDB user is dropped; its clients fail authentication",
)
def _mongodb_drop_user(cluster: SimCluster, namespace: str, p: MongoDropUserParams) -> None:
    _mongo_shell(cluster, namespace, p.target, f"db.dropUser('{p.user}');", p.as_user)
    delete_pods(cluster, namespace, p.restart)


class MongoTlsParams(Params):
    target: str
    configmap: str
    key: str = "mongod.conf"
    certificate_key_file: str = "/etc/tls/tls.pem"
    restart: list[str] = Field(default_factory=list)


@PRIMITIVES.register(
    "mongodb_require_tls",
    MongoTlsParams,
    "mongod switched to requireTLS while its clients still speak plain TCP",
)
def _mongodb_require_tls(cluster: SimCluster, namespace: str, p: MongoTlsParams) -> None:
    configmap = _get(cluster, "ConfigMap", namespace, p.configmap)
    configmap.setdefault("data", {})[p.key] = (
        f"net:\n  tls:\n    mode: requireTLS\n    certificateKeyFile: {p.certificate_key_file}\n"
    )
    cluster.api.update(Target.of("ConfigMap", namespace, p.configmap), configmap)
    delete_pods(cluster, namespace, p.restart)
    rollout_restart(cluster, namespace, p.target)


class ImageParams(Params):
    deployment: str
    container: str
    image: str


@PRIMITIVES.register(
    "set_image", ImageParams, "A container's image swapped (a bad build or a bad tag)"
)
def _set_image(cluster: SimCluster, namespace: str, p: ImageParams) -> None:
    deployment = _get(cluster, "Deployment", namespace, p.deployment)
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        if container["name"] == p.container:
            container["image"] = p.image
            break
    else:
        raise FaultError(f"deployment {p.deployment} has no container {p.container}")
    cluster.api.update(Target.of("Deployment", namespace, p.deployment), deployment)


class CommandParams(Params):
    deployment: str
    container: str
    command: list[str]
    recreate: bool = True


@PRIMITIVES.register("set_command", CommandParams, "A container runs the wrong command or binary")
def _set_command(cluster: SimCluster, namespace: str, p: CommandParams) -> None:
    deployment = _get(cluster, "Deployment", namespace, p.deployment)
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        if container["name"] == p.container:
            container["command"] = list(p.command)
            break
    else:
        raise FaultError(f"deployment {p.deployment} has no container {p.container}")
    _replace_workload(cluster, namespace, deployment, p.recreate)


class NoParams(Params):
    pass


@PRIMITIVES.register(
    "redeploy_without_pv",
    NoParams,
    "The app's namespace deleted and redeployed; its Retain volumes stay Released",
)
def _redeploy_without_pv(cluster: SimCluster, namespace: str, p: NoParams) -> None:
    cluster.api.delete(Target.of("Namespace", None, namespace))
    app = next(a for a in cluster.apps if a.namespace == namespace)
    for manifest in render(app):
        if manifest["kind"] == "PersistentVolume":
            continue  # cluster-scoped: they survived the namespace, Released
        cluster.apply(manifest)


class ChaosParams(Params):
    kind: str = Field(pattern="^(PodChaos|NetworkChaos)$")
    name: str
    spec: dict[str, Any]


@PRIMITIVES.register(
    "chaos_mesh", ChaosParams, "A Chaos Mesh experiment (PodChaos or NetworkChaos)"
)
def _chaos(cluster: SimCluster, namespace: str, p: ChaosParams) -> None:
    cluster.api.create(
        Target.of(p.kind, namespace),
        {
            "apiVersion": "chaos-mesh.org/v1alpha1",
            "kind": p.kind,
            "metadata": {"name": p.name, "namespace": namespace},
            "spec": copy.deepcopy(p.spec),
        },
    )


class FlagParams(Params):
    flag: str
    variant: str
    configmap: str = "flagd-config"
    key: str = "demo.flagd.json"
    restart: str | None = "flagd"


@PRIMITIVES.register(
    "feature_flag",
    FlagParams,
    "A flagd feature flag's default variant changed (OpenTelemetry demo failures)",
)
def _feature_flag(cluster: SimCluster, namespace: str, p: FlagParams) -> None:
    configmap = _get(cluster, "ConfigMap", namespace, p.configmap)
    flags = json.loads(configmap["data"][p.key])
    if p.flag not in flags.get("flags", {}):
        raise FaultError(f"Feature flag '{p.flag}' not found in ConfigMap '{p.configmap}'.")
    flags["flags"][p.flag]["defaultVariant"] = p.variant
    configmap["data"][p.key] = json.dumps(flags, indent=2)
    cluster.api.update(Target.of("ConfigMap", namespace, p.configmap), configmap)
    if p.restart:
        rollout_restart(cluster, namespace, p.restart)


@PRIMITIVES.register("noop", NoParams, "Nothing is wrong (the answer to detection is No)")
def _noop(cluster: SimCluster, namespace: str, p: NoParams) -> None:
    return None
