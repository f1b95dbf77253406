"""Analyzers over logs and telemetry: database errors and the database they name, callers
blaming a dependency (the deepest one blamed is the likely culprit), error-rate and trace
edges, memory near its limit, one pod burning far more CPU than the rest."""

from __future__ import annotations

import re
from collections import Counter

from agents.analyzers.db_repair import user_repair
from agents.analyzers.observations import Observations, metric_row
from agents.models import ProposedAction, Signal

DB_URL = re.compile(r"(mongodb-[a-z0-9-]+|[a-z0-9-]+-mongodb):\d+")
TLS_CLOSED = re.compile(r"connection closed calling hello on '([a-z0-9-]+):")
REFUSED = re.compile(
    r"Failed to connect ([a-z0-9-]+)-client\b|<Host: ([a-z0-9-]+) Port"
    r"|dial tcp: lookup ([A-Za-z0-9-]+)|([a-z0-9-]+) call failed"
)
UNAUTHORIZED_ON = re.compile(r"not authorized on ([A-Za-z0-9_-]+)")
ERROR = re.compile(r"\b(ERROR|ERR|error|FTL|PNC|panic|Exception|failed)\b")


def log_signals(obs: Observations) -> list[Signal]:
    out: list[Signal] = []
    blamed: Counter[str] = Counter()
    own_errors: Counter[str] = Counter()
    owners = {p["metadata"]["name"]: obs.owner(p) for p in obs.items("pods")}
    for pod, text in obs.logs.items():
        owner = owners.get(pod, pod)
        database = next(iter(DB_URL.findall(text)), None)
        if database is not None and database.startswith(owner + "-"):
            database = None  # its own pod name, not a database URL
        out += _database(obs, owner, database, text)
        services = {svc["metadata"]["name"] for svc in obs.items("services")}
        for line in text.splitlines():
            if not ERROR.search(line):
                continue
            names = [n for m in REFUSED.findall(line) for n in m if n]
            names = [n.removeprefix("srv-") for n in names if n != owner]
            # Thrift clients are named after the service without "-service" sometimes.
            names = [n if n in services else f"{n}-service" for n in names]
            if names:
                # A name no Service has (a bad address) blames nobody by itself: the traces
                # tell whose call it is.
                blamed.update({n for n in names if n in services})
            else:
                own_errors[owner] += 1
    obs.blamed = blamed
    if blamed:
        # The deepest service others blame, that does not itself blame anyone.
        callee, count = blamed.most_common(1)[0]
        out.append(
            Signal(
                analyzer="blamed_dependency",
                score=min(0.5 + count / 200, 0.75),
                component=callee,
                summary=f"callers' logs fail on calls to {callee} ({count} lines)",
                evidence=[f"{callee}: {count} error lines name it"],
            )
        )
    for owner, count in own_errors.most_common(3):
        if count >= 3:
            out.append(
                Signal(
                    analyzer="own_errors",
                    score=min(0.4 + count / 400, 0.6),
                    component=owner,
                    summary=f"{owner} logs {count} errors of its own",
                    evidence=[f"{owner}: {count} error lines"],
                )
            )
    return out


def _database(obs: Observations, owner: str, database: str | None, text: str) -> list[Signal]:
    if database is None or owner == database or TLS_CLOSED.search(text):
        return _server_side(obs, owner, text)
    if "not authorized on" in text:
        db_name = UNAUTHORIZED_ON.search(text)
        return [
            Signal(
                analyzer="db_unauthorized",
                score=0.94,
                component=database,
                summary=f"{owner} is not authorized on its database in {database}",
                evidence=[_first(text, "not authorized on")],
                system_level="Application",
                fault_type="Authentication Issue",
                fixes=user_repair(
                    obs, database, owner, "role", db_name.group(1) if db_name else None
                ),
            )
        ]
    if "Authentication failed" in text:
        return [
            Signal(
                analyzer="db_auth_failed",
                score=0.93,
                component=database,
                summary=f"{owner} fails SCRAM authentication against {database}",
                evidence=[_first(text, "Authentication failed")],
                system_level="Application",
                fault_type="Network/Storage Issue",
                fixes=user_repair(obs, database, owner, "user", None),
            )
        ]
    return []


def _tls_off(obs: Observations, database: str) -> list[ProposedAction]:
    """Turn requireTLS off in the mongod config the database mounts, then restart it."""
    deployment = next(
        (d for d in obs.items("deployments") if d["metadata"]["name"] == database), None
    )
    if deployment is None:
        return []
    mounted = {
        (v.get("configMap") or {}).get("name")
        for v in deployment["spec"]["template"]["spec"].get("volumes") or []
    }
    for cm in obs.items("configmaps"):
        conf = (cm.get("data") or {}).get("mongod.conf", "")
        if cm["metadata"]["name"] in mounted and "requireTLS" in conf:
            return obs.config_fix(
                cm["metadata"]["name"],
                {"mongod.conf": conf.replace("requireTLS", "disabled")},
                "let plain connections in again, as the clients use",
                [database],
            )
    return []


def _server_side(obs: Observations, owner: str, text: str) -> list[Signal]:
    closed = TLS_CLOSED.search(text)
    if closed and closed.group(1) != owner:
        database = closed.group(1)
        return [
            Signal(
                analyzer="db_closes_plain_connections",
                score=0.9,
                component=database,
                summary=f"{database} closes {owner}'s plain connections (TLS required?)",
                evidence=[_first(text, "connection closed calling hello")],
                system_level="Application",
                fault_type="Misconfiguration",
                fixes=_tls_off(obs, database),
            )
        ]
    if "only allow SSL connections" in text:
        return [
            Signal(
                analyzer="db_requires_tls",
                score=0.93,
                component=owner,
                summary=f"{owner} refuses plain connections (requireTLS); its clients use none",
                evidence=[_first(text, "only allow SSL")],
                system_level="Application",
                fault_type="Misconfiguration",
            )
        ]
    return []


def _first(text: str, needle: str) -> str:
    return next((line[:240] for line in text.splitlines() if needle in line), needle)


def telemetry_signals(obs: Observations) -> list[Signal]:
    out: list[Signal] = []
    cpu = [metric_row(line) for line in obs.metrics.get("cpu", "").splitlines()]
    cpu = [(labels, value) for labels, value in cpu if value is not None and "pod" in labels]
    values = [value for _, value in cpu if value is not None]
    if len(values) >= 3 and values[0] > 5 * max(values[1], 0.01):
        labels, value = cpu[0][0], values[0]
        out.append(
            Signal(
                analyzer="cpu_outlier",
                score=0.65,
                component=labels["pod"].rsplit("-", 2)[0],
                summary=f"{labels['pod']} uses {value:.2f} cores, far above the rest",
                evidence=[f"{labels['pod']} {value:.3f}"],
            )
        )
    out += _changes(obs)
    for service, summary in obs.traces.items():
        edges = re.findall(r"^  (\S+) -> (\S+)  .*\d+x", summary, re.M)
        callers = {a for a, _ in edges}
        deepest = [b for _, b in edges if b not in callers]
        if deepest:
            out.append(
                Signal(
                    analyzer="trace_error_edge",
                    score=0.72,
                    component=deepest[0],
                    summary=f"traces through {service} fail at the call to {deepest[0]}",
                    evidence=[summary.splitlines()[0]],
                )
            )
    return out


def _changes(obs: Observations) -> list[Signal]:
    """A pod whose CPU or memory jumped against ten minutes ago, far more than the rest."""
    out = []
    for name, threshold, what in (("cpu_change", 2.5, "CPU"), ("memory_change", 1.5, "memory")):
        rows = [metric_row(line) for line in obs.metrics.get(name, "").splitlines()]
        ratios = [(labels["pod"], value) for labels, value in rows if value and "pod" in labels]
        if not ratios:
            continue
        pod, ratio = max(ratios, key=lambda row: row[1])
        if ratio >= threshold:
            out.append(
                Signal(
                    analyzer=f"{name.split('_')[0]}_jump",
                    score=0.64,
                    component=pod.rsplit("-", 2)[0],
                    summary=f"{pod}'s {what} is {ratio:.1f}x what it was ten minutes ago",
                    evidence=[f"{pod} {what} x{ratio:.2f}"],
                )
            )
    return out
