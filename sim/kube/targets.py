"""What a request to the API server addresses: a resource type, a namespace, a name and a
subresource, parsed from its path (`/apis/apps/v1/namespaces/x/deployments/y/scale`)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.kube.resources import ResourceType, UnknownResource, resource_for_kind, resource_type


@dataclass(frozen=True)
class Target:
    rt: ResourceType
    namespace: str | None
    name: str | None = None
    subresource: str | None = None

    @classmethod
    def of(
        cls,
        kind: str,
        namespace: str | None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> Target:
        return cls(resource_for_kind(kind), namespace, name, subresource)


def parse_resource_path(path: str) -> Target | None:
    """Split `/apis/apps/v1/namespaces/x/deployments/y/scale` into its parts."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    try:
        rt = resource_type(group, version, rest[0])
    except UnknownResource:
        return None
    if namespace is not None and not rt.namespaced:
        return None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in rt.subresources:
        return None
    return Target(rt, namespace, name, sub)
