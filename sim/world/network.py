"""The cluster network as a client sees it: DNS, Service virtual IPs, endpoints, and whether
the process behind an endpoint is accepting connections (plus Chaos Mesh's packet loss and
delay). A misrouted Service or a dead pod shows up exactly where it would: at connect()."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.kube.resources import resource_for_kind
from sim.world.certificates import handshake_problem

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
SERVICES = resource_for_kind("Service")
ENDPOINTS = resource_for_kind("Endpoints")
PODS = resource_for_kind("Pod")
CLUSTER_DOMAIN = "svc.cluster.local"
DNS_SERVER = "10.96.0.10:53"
LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Connection:
    """The outcome of a TCP connect from a pod to `host:port`."""

    host: str
    port: int
    error: str = ""  # "" (connected), "dns", "refused", "timeout"
    address: str = ""  # the ip:port dialled
    pod: Obj | None = None  # the pod that accepted
    delay_ms: float = 0.0
    detail: str = ""  # what failed, for errors with more to say (a TLS handshake)

    @property
    def ok(self) -> bool:
        return not self.error


def _split_host(host: str, default_namespace: str) -> tuple[str, str]:
    name = host.strip().rstrip(".")
    if name.endswith("." + CLUSTER_DOMAIN):
        name = name[: -len(CLUSTER_DOMAIN) - 1]
    elif name.endswith(".svc"):
        name = name[:-4]
    parts = name.split(".")
    if len(parts) == 1:
        return parts[0], default_namespace
    return parts[0], parts[1]


def connect(world: World, source: Obj, host: str, port: int, at: datetime) -> Connection:
    """Resolve and connect as a client in `source` (a pod) would, at time `at`."""
    if host.strip() in LOOPBACK:
        # The pod's own network namespace: its containers' listening ports, no Service.
        address = f"127.0.0.1:{port}"
        if port in world.serving_ports(source, at):
            return Connection(host, port, "", address, source)
        return Connection(host, port, "refused", address)
    name, namespace = _split_host(host, source["metadata"]["namespace"])
    names = (name, f"{name}.{namespace}", f"{name}.{namespace}.{CLUSTER_DOMAIN}")
    if world.chaos.dns_fails(source, names, at):
        return Connection(host, port, "dns")
    service = world.store.peek(SERVICES, namespace, name)
    if service is None:
        return Connection(host, port, "dns")
    spec = service.get("spec") or {}
    headless = spec.get("clusterIP") == "None"
    service_port = next((p for p in spec.get("ports") or [] if p.get("port") == port), None)
    if service_port is None and not headless:
        # No kube-proxy rule for that port: the SYN goes nowhere.
        return Connection(host, port, "timeout", f"{spec.get('clusterIP')}:{port}")
    vip = f"{spec.get('clusterIP')}:{port}"
    endpoints = world.store.peek(ENDPOINTS, namespace, name) or {}
    candidates: list[tuple[str, int, str]] = []
    for subset in endpoints.get("subsets") or []:
        ports = subset.get("ports") or []
        if headless:
            target_ports = [port]
        else:
            wanted = service_port.get("name") if service_port else None
            target_ports = [p["port"] for p in ports if p.get("name") == wanted] or (
                [ports[0]["port"]] if len(ports) == 1 else []
            )
        for address in subset.get("addresses") or []:
            pod_name = (address.get("targetRef") or {}).get("name", "")
            candidates += [(address["ip"], target, pod_name) for target in target_ports]
    if not candidates:
        # kube-proxy rejects connections to a Service without ready endpoints.
        return Connection(host, port, "dns" if headless else "refused", vip)
    failure = Connection(host, port, "refused", vip)
    for ip, target_port, pod_name in sorted(candidates, key=lambda c: c[2]):
        pod = world.store.peek(PODS, namespace, pod_name)
        if pod is None:
            continue
        effect = world.network_effect(source, pod, at)
        if effect.loss >= 0.5:
            failure = Connection(host, port, "timeout", f"{ip}:{target_port}", pod)
            continue
        if target_port not in world.serving_ports(pod, at):
            failure = Connection(host, port, "refused", f"{ip}:{target_port}", pod)
            continue
        problem = handshake_problem(world, pod, target_port, at)
        if problem is not None:
            failure = Connection(host, port, "tls", f"{ip}:{target_port}", pod, detail=problem)
            continue
        return Connection(host, port, "", f"{ip}:{target_port}", pod, effect.delay_ms)
    return failure


@dataclass(frozen=True)
class NetworkEffect:
    loss: float = 0.0
    delay_ms: float = 0.0
