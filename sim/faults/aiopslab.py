"""AIOpsLab's fault families as primitives: misrouted Services, scaled-away or unschedulable
workloads, MongoDB users and roles, wrong images and binaries, lost volumes, Chaos Mesh
experiments and feature flags."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from pydantic import Field

from sim.apps import render
from sim.faults import (
    PRIMITIVES,
    FaultError,
    _get,
    _mongo_shell,
    delete_pods,
    rollout_restart,
)
from sim.kube.patch import MERGE
from sim.kube.targets import Target
from sim.registry import Params

if TYPE_CHECKING:
    from sim.cluster import SimCluster

Obj = dict[str, Any]


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
    recreate: bool = False  # strategy Recreate: every pod replaced at once (an outage)


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
    if p.recreate:
        deployment["spec"]["strategy"] = {"type": "Recreate"}
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
