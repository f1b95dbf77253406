"""The resource types the emulated API server knows, as discovery describes them."""

from __future__ import annotations

from dataclasses import dataclass

READ_VERBS = ("get", "list", "watch")
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
ALL_VERBS = READ_VERBS + WRITE_VERBS


@dataclass(frozen=True)
class ResourceType:
    """One REST resource, e.g. `deployments` in `apps/v1`."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[str, ...] = ()
    # Virtual resources (metrics) are computed on read and never stored.
    virtual: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """`deployments.apps`, as Kubernetes names a resource in error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


_ALL = ("all",)

RESOURCE_TYPES: tuple[ResourceType, ...] = (
    # core/v1
    ResourceType(
        "", "v1", "Namespace", "namespaces", "namespace", False, ("ns",), subresources=("status",)
    ),
    ResourceType("", "v1", "Node", "nodes", "node", False, ("no",), subresources=("status",)),
    ResourceType(
        "", "v1", "Pod", "pods", "pod", True, ("po",), _ALL, subresources=("exec", "log", "status")
    ),
    ResourceType(
        "", "v1", "Service", "services", "service", True, ("svc",), _ALL, subresources=("status",)
    ),
    ResourceType("", "v1", "Endpoints", "endpoints", "endpoints", True, ("ep",)),
    ResourceType("", "v1", "ConfigMap", "configmaps", "configmap", True, ("cm",)),
    ResourceType("", "v1", "Secret", "secrets", "secret", True),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, ("sa",)),
    ResourceType(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        True,
        ("pvc",),
        subresources=("status",),
    ),
    ResourceType(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        "persistentvolume",
        False,
        ("pv",),
        subresources=("status",),
    ),
    ResourceType("", "v1", "Event", "events", "event", True, ("ev",)),
    ResourceType(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        "replicationcontroller",
        True,
        ("rc",),
        _ALL,
    ),
    # apps/v1
    ResourceType(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        True,
        ("deploy",),
        _ALL,
        subresources=("scale", "status"),
    ),
    ResourceType(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        "replicaset",
        True,
        ("rs",),
        _ALL,
        subresources=("scale", "status"),
    ),
    ResourceType(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        "statefulset",
        True,
        ("sts",),
        _ALL,
        subresources=("scale", "status"),
    ),
    ResourceType(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        "daemonset",
        True,
        ("ds",),
        _ALL,
        subresources=("status",),
    ),
    ResourceType(
        "apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", True
    ),
    # batch/v1
    ResourceType("batch", "v1", "Job", "jobs", "job", True, (), _ALL, subresources=("status",)),
    ResourceType(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        "cronjob",
        True,
        ("cj",),
        _ALL,
        subresources=("status",),
    ),
    # autoscaling/v2
    ResourceType(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        True,
        ("hpa",),
        _ALL,
        subresources=("status",),
    ),
    # storage.k8s.io/v1
    ResourceType(
        "storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", False, ("sc",)
    ),
    # discovery.k8s.io/v1 (kubectl describe service reads the service's slices)
    ResourceType(
        "discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", True
    ),
    # coordination.k8s.io/v1 (kubectl describe node reads the node's lease)
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", "lease", True),
    # chaos-mesh.org/v1alpha1: the Chaos Mesh experiments AIOpsLab injects some faults with
    ResourceType("chaos-mesh.org", "v1alpha1", "PodChaos", "podchaos", "podchaos", True),
    ResourceType(
        "chaos-mesh.org", "v1alpha1", "NetworkChaos", "networkchaos", "networkchaos", True
    ),
    ResourceType("chaos-mesh.org", "v1alpha1", "DNSChaos", "dnschaos", "dnschaos", True),
    # metrics.k8s.io/v1beta1 (kubectl top)
    ResourceType(
        "metrics.k8s.io",
        "v1beta1",
        "PodMetrics",
        "pods",
        "",
        True,
        verbs=READ_VERBS[:2],
        virtual=True,
    ),
    ResourceType(
        "metrics.k8s.io",
        "v1beta1",
        "NodeMetrics",
        "nodes",
        "",
        False,
        verbs=READ_VERBS[:2],
        virtual=True,
    ),
)

# The version each group prefers, in discovery order.
GROUP_VERSIONS: dict[str, str] = {}
for _rt in RESOURCE_TYPES:
    GROUP_VERSIONS.setdefault(_rt.group, _rt.version)


class UnknownResource(KeyError):
    """No resource of that name is served."""


def resource_type(group: str, version: str, plural: str) -> ResourceType:
    """The resource served at `/apis/{group}/{version}/{plural}` (`group` "" for core)."""
    for rt in RESOURCE_TYPES:
        if rt.group == group and rt.version == version and rt.plural == plural:
            return rt
    raise UnknownResource(f"{plural}.{group}/{version}" if group else f"{plural}/{version}")


def resource_for_kind(kind: str, api_version: str | None = None) -> ResourceType:
    """The stored resource type of a kind, e.g. "Deployment" -> deployments.apps."""
    for rt in RESOURCE_TYPES:
        if rt.kind == kind and not rt.virtual and (api_version in (None, rt.api_version)):
            return rt
    raise UnknownResource(kind)


def group_versions() -> list[tuple[str, str]]:
    """Every (group, version) served, core first."""
    return list(GROUP_VERSIONS.items())
