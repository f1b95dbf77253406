"""Reading many pods' logs with few kubectl processes.

A kubectl process costs far more than a log request (starting the binary is most of a
`kubectl logs` call), so the pods whose logs can all be read are read a handful at a time
with one label selector each (`kubectl logs -l 'key in (a,b)' --all-containers --prefix`),
and the prefixed output is split back into each pod's text: the same lines, in the same
container order, that `kubectl logs POD --all-containers` prints. A selector only ever names
pods that are wanted, and holds few enough log requests that kubectl's client-side rate
limit (a burst of 10 requests, then 5 a second) never makes it wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agents.tools.kubectl import split_prefixed

Obj = dict[str, Any]
MAX_STREAMS = 8  # log requests per selector read: with the pod list, inside kubectl's burst


@dataclass(frozen=True)
class SelectorRead:
    """One `kubectl logs -l SELECTOR` that reads exactly `pods`."""

    selector: str
    pods: tuple[str, ...]


def containers(pod: Obj) -> list[str]:
    """Container names in the order `kubectl logs --all-containers` reads them."""
    spec = pod.get("spec") or {}
    return [
        str(c.get("name"))
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(key) or []
    ]


def all_started(pod: Obj) -> bool:
    """Every container has run (running now, or terminated now or before), so a log request
    for each one answers with its lines rather than a `waiting to start` error."""
    status = pod.get("status") or {}
    seen = {
        str(s.get("name")): s
        for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses")
        for s in status.get(key) or []
    }
    for name in containers(pod):
        s = seen.get(name)
        if s is None:
            return False
        state, last = s.get("state") or {}, s.get("lastState") or {}
        if not ("running" in state or "terminated" in state or "terminated" in last):
            return False
    return True


def plan(all_pods: list[Obj], wanted: Iterable[str]) -> tuple[list[SelectorRead], list[str]]:
    """Selector reads for as many of the `wanted` pods (names) as possible, and the rest,
    to be read one by one. A selector `key in (values)` is used only when every pod of the
    namespace it matches is a wanted pod whose containers have all started."""
    by_name = {str(p["metadata"]["name"]): p for p in all_pods}
    order = [name for name in wanted if name in by_name]
    readable = {name for name in order if all_started(by_name[name])}
    left = [name for name in order if name in readable]
    reads: list[SelectorRead] = []
    while len(left) > 1:
        key, groups = _best_key(left, all_pods, readable)
        if key is None:
            break
        chosen = _pack(key, groups, by_name)
        if not chosen:
            break
        reads += chosen
        covered = {pod for read in chosen for pod in read.pods}
        left = [name for name in left if name not in covered]
    singles = [name for name in order if not any(name in r.pods for r in reads)]
    return reads, singles


def _labels(pod: Obj) -> Mapping[str, str]:
    return (pod.get("metadata") or {}).get("labels") or {}


def _best_key(
    left: list[str], all_pods: list[Obj], readable: set[str]
) -> tuple[str | None, dict[str, list[str]]]:
    """The label key whose values single out the most pods still to read: for each value,
    the pods of the namespace that carry it (all of them must be readable and still left)."""
    left_set = set(left)
    best: tuple[int, str] | None = None
    best_groups: dict[str, list[str]] = {}
    keys = sorted(
        {k for pod in all_pods if pod["metadata"]["name"] in left_set for k in _labels(pod)}
    )
    for key in keys:
        groups: dict[str, list[str]] = {}
        spoiled: set[str] = set()
        for pod in all_pods:
            name, value = str(pod["metadata"]["name"]), _labels(pod).get(key)
            if value is None:
                continue
            if name in left_set and name in readable:
                groups.setdefault(str(value), []).append(name)
            else:
                spoiled.add(str(value))
        usable = {v: names for v, names in groups.items() if v not in spoiled and _plain(v)}
        covered = sum(len(names) for names in usable.values())
        if covered > 1 and (best is None or covered > best[0]):
            best, best_groups = (covered, key), usable
    return (best[1] if best else None), best_groups


def _plain(value: str) -> bool:
    """A value a set-based selector can list as it is (label values are alphanumerics, `-`,
    `_` and `.`)."""
    return bool(value) and all(ch.isalnum() or ch in "-_." for ch in value)


def _pack(key: str, groups: dict[str, list[str]], by_name: dict[str, Obj]) -> list[SelectorRead]:
    """The key's values in selector reads of at most MAX_STREAMS log requests each."""
    reads: list[SelectorRead] = []
    values: list[str] = []
    pods: list[str] = []
    streams = 0
    for value, names in groups.items():
        size = sum(len(containers(by_name[n])) for n in names)
        if size > MAX_STREAMS:
            continue  # too many for one read: these pods are read one by one
        if streams + size > MAX_STREAMS:
            reads.append(_read(key, values, pods))
            values, pods, streams = [], [], 0
        values.append(value)
        pods += names
        streams += size
    if values:
        reads.append(_read(key, values, pods))
    return [r for r in reads if len(r.pods) > 1]  # one pod: no better than reading it alone


def _read(key: str, values: list[str], pods: list[str]) -> SelectorRead:
    return SelectorRead(f"{key} in ({','.join(values)})", tuple(pods))


def pod_texts(text: str, read: SelectorRead, by_name: Mapping[str, Obj]) -> dict[str, str] | None:
    """Each pod's text as `kubectl logs POD --all-containers` prints it, from the output of
    `read`; None if the output is not all and only what was asked for (then read them one
    by one)."""
    streams = split_prefixed(text)
    if ("", "") in streams:
        return None
    out: dict[str, str] = {}
    for pod in read.pods:
        out[pod] = "".join(
            line + "\n"
            for container in containers(by_name[pod])
            for line in streams.pop((pod, container), [])
        )
    return None if streams else out
