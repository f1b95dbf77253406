"""The kind cluster AIOpsLab runs on: nodes `kind-control-plane` and `kind-worker`, the
system namespaces, kube-system's static pods and daemons, and the default StorageClass."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sim.clock import rfc3339
from sim.world.software.catalog import ImageEntry

Obj = dict[str, Any]
K8S_VERSION = "v1.32.0"
NODES = (
    ("kind-control-plane", "172.18.0.3", "10.244.0.0/24", True),
    ("kind-worker", "172.18.0.2", "10.244.1.0/24", False),
)
SYSTEM_NAMESPACES = (
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
)


def node_manifest(name: str, ip: str, cidr: str, control_plane: bool, at: datetime) -> Obj:
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    stamp = rfc3339(at)
    conditions = [
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    capacity = {
        "cpu": "16",
        "ephemeral-storage": "263112772Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": "65851340Ki",
        "pods": "110",
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {
            "podCIDR": cidr,
            "podCIDRs": [cidr],
            "providerID": f"kind://docker/kind/{name}",
            **(
                {
                    "taints": [
                        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
                    ]
                }
                if control_plane
                else {}
            ),
        },
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "allocatable": dict(capacity),
            "capacity": capacity,
            "conditions": [
                {
                    "type": t,
                    "status": s,
                    "reason": r,
                    "message": m,
                    "lastHeartbeatTime": stamp,
                    "lastTransitionTime": stamp,
                }
                for t, s, r, m in conditions
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": "",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": "6.8.0-49-generic",
                "kubeProxyVersion": "",
                "kubeletVersion": K8S_VERSION,
                "machineID": "",
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": "",
            },
        },
    }


def _static_pod(component: str, image: str, node: str, node_uid: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{component}-{node}",
            "namespace": "kube-system",
            "labels": {"component": component, "tier": "control-plane"},
            "annotations": {"kubernetes.io/config.source": "file"},
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "name": node,
                    "uid": node_uid,
                    "controller": True,
                }
            ],
        },
        "spec": {
            "containers": [{"name": component, "image": image, "command": [component]}],
            "priorityClassName": "system-node-critical",
            "hostNetwork": True,
            "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
        },
        "status": {"phase": "Pending", "qosClass": "Burstable"},
    }


def system_manifests() -> list[Obj]:
    """Namespaced system objects (after nodes exist): daemons, DNS, storage provisioner."""
    daemon_tolerations = [{"operator": "Exists"}]
    return [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": "standard",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {
                "name": "kube-proxy",
                "namespace": "kube-system",
                "labels": {"k8s-app": "kube-proxy"},
            },
            "spec": {
                "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                "template": {
                    "metadata": {"labels": {"k8s-app": "kube-proxy"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "kube-proxy",
                                "image": f"registry.k8s.io/kube-proxy:{K8S_VERSION}",
                                "command": ["/usr/local/bin/kube-proxy"],
                            }
                        ],
                        "tolerations": daemon_tolerations,
                        "hostNetwork": True,
                    },
                },
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {
                "name": "kindnet",
                "namespace": "kube-system",
                "labels": {"app": "kindnet", "k8s-app": "kindnet", "tier": "node"},
            },
            "spec": {
                "selector": {"matchLabels": {"app": "kindnet"}},
                "template": {
                    "metadata": {
                        "labels": {"app": "kindnet", "k8s-app": "kindnet", "tier": "node"}
                    },
                    "spec": {
                        "containers": [
                            {
                                "name": "kindnet-cni",
                                "image": "docker.io/kindest/kindnetd:v20241108-5c6d2daf",
                            }
                        ],
                        "tolerations": daemon_tolerations,
                        "hostNetwork": True,
                    },
                },
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "coredns",
                "namespace": "kube-system",
                "labels": {"k8s-app": "kube-dns"},
            },
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                "template": {
                    "metadata": {"labels": {"k8s-app": "kube-dns"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "coredns",
                                "image": "registry.k8s.io/coredns/coredns:v1.11.3",
                                "args": ["-conf", "/etc/coredns/Corefile"],
                                "ports": [
                                    {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                    {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                    {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
                                ],
                                "resources": {
                                    "limits": {"memory": "170Mi"},
                                    "requests": {"cpu": "100m", "memory": "70Mi"},
                                },
                            }
                        ],
                        "priorityClassName": "system-cluster-critical",
                        "tolerations": [
                            {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kube-dns",
                "namespace": "kube-system",
                "labels": {"k8s-app": "kube-dns"},
            },
            "spec": {
                "selector": {"k8s-app": "kube-dns"},
                "clusterIP": "10.96.0.10",
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                    {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "clusterIP": "10.96.0.1",
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "local-path-provisioner", "namespace": "local-path-storage"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "local-path-provisioner"}},
                "template": {
                    "metadata": {"labels": {"app": "local-path-provisioner"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "local-path-provisioner",
                                "image": "docker.io/kindest/local-path-provisioner:"
                                "v20241108-5c6d2daf",
                            }
                        ],
                        "tolerations": [
                            {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
                        ],
                    },
                },
            },
        },
    ]


STATIC_COMPONENTS = (
    ("etcd", "registry.k8s.io/etcd:3.5.16-0"),
    ("kube-apiserver", f"registry.k8s.io/kube-apiserver:{K8S_VERSION}"),
    ("kube-controller-manager", f"registry.k8s.io/kube-controller-manager:{K8S_VERSION}"),
    ("kube-scheduler", f"registry.k8s.io/kube-scheduler:{K8S_VERSION}"),
)


def static_pods(control_plane: Obj) -> list[Obj]:
    name, uid = control_plane["metadata"]["name"], control_plane["metadata"]["uid"]
    return [_static_pod(component, image, name, uid) for component, image in STATIC_COMPONENTS]


def _generic(
    name: str, ports: tuple[int, ...], startup: tuple[str, ...], memory: int, cpu: int
) -> ImageEntry:
    return ImageEntry(
        name,
        "generic",
        {
            "ports": list(ports),
            "startup": list(startup),
            "memory_mib": memory,
            "cpu_millicores": cpu,
        },
        size_bytes=30_000_000,
        pull_seconds=0.0,
    )


PLATFORM_IMAGES = (
    _generic("registry.k8s.io/etcd:3.5.16-0", (2379, 2380), (), 48, 25),
    _generic(f"registry.k8s.io/kube-apiserver:{K8S_VERSION}", (6443,), (), 280, 45),
    _generic(f"registry.k8s.io/kube-controller-manager:{K8S_VERSION}", (10257,), (), 55, 15),
    _generic(f"registry.k8s.io/kube-scheduler:{K8S_VERSION}", (10259,), (), 24, 3),
    _generic(f"registry.k8s.io/kube-proxy:{K8S_VERSION}", (), (), 20, 1),
    _generic("docker.io/kindest/kindnetd:v20241108-5c6d2daf", (), (), 12, 1),
    _generic(
        "registry.k8s.io/coredns/coredns:v1.11.3",
        (53, 9153),
        (
            ".:53",
            "[INFO] plugin/reload: Running configuration SHA512 = "
            "591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046"
            "dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908",
            "CoreDNS-1.11.3",
            "linux/amd64, go1.21.11, a6338e9",
        ),
        18,
        2,
    ),
    _generic("docker.io/kindest/local-path-provisioner:v20241108-5c6d2daf", (), (), 10, 1),
)
