"""Connections a server turns away although it runs: a database at its connection limit
(mongod: "too many open connections"), whose clients' pools add up past it once they scale,
and a TLS server whose certificate expired (clients' handshakes fail: Go's "x509: certificate
has expired", OpenSSL's "certificate verify failed"). The server is the faulty component,
not the callers who log the failures."""

from __future__ import annotations

import re

from agents.analyzers.observations import Obj, Observations
from agents.models import ProposedAction, Signal

TOO_MANY = "too many open connections"
LIMIT = re.compile(r"^([ \t]*maxIncomingConnections:[ \t]*)(\d+)[ \t]*$", re.M)
HEADROOM = 4  # pools grow with their clients' replicas: room for a few scale-ups
EXPIRED = re.compile(r"certificate has expired|certificate verify failed|certificate expired")


def connection_signals(obs: Observations) -> list[Signal]:
    return _connection_limits(obs) + _expired_certificates(obs)


def _first(text: str, needle: str) -> str:
    return next((line[:240] for line in text.splitlines() if needle in line), needle)


def _connection_limits(obs: Observations) -> list[Signal]:
    out: list[Signal] = []
    owners = {p["metadata"]["name"]: obs.owner(p) for p in obs.items("pods")}
    seen: set[str] = set()
    for pod, text in obs.logs.items():
        owner = owners.get(pod, pod)
        if TOO_MANY not in text or owner in seen:
            continue
        seen.add(owner)
        refused = sum(TOO_MANY in line for line in text.splitlines())
        out.append(
            Signal(
                analyzer="db_connection_limit",
                score=0.95,
                component=owner,
                summary=f"{owner} refuses connections at its limit ({refused} refusals in its "
                "recent log): its clients' pools add up past maxIncomingConnections",
                evidence=[_first(text, TOO_MANY)],
                system_level="Application",
                fault_type="Dependency Problem",
                fixes=_raise_limit(obs, owner),
            )
        )
    return out


def _mounted_configmaps(deployment: Obj) -> set[str]:
    return {
        str((v.get("configMap") or {}).get("name"))
        for v in deployment["spec"]["template"]["spec"].get("volumes") or []
        if v.get("configMap")
    }


def _raise_limit(obs: Observations, database: str) -> list[ProposedAction]:
    """Raise net.maxIncomingConnections in the config the database mounts, then restart it."""
    deployment = next(
        (d for d in obs.items("deployments") if d["metadata"]["name"] == database), None
    )
    if deployment is None:
        return []
    mounted = _mounted_configmaps(deployment)
    for cm in obs.items("configmaps"):
        if cm["metadata"]["name"] not in mounted:
            continue
        for key, conf in (cm.get("data") or {}).items():
            found = LIMIT.search(conf)
            if not found:
                continue
            wanted = int(found.group(2)) * HEADROOM
            return obs.config_fix(
                cm["metadata"]["name"],
                {key: LIMIT.sub(rf"\g<1>{wanted}", conf, count=1)},
                f"room for every client's pool: maxIncomingConnections {wanted}",
                [database],
            )
    return []


def _tls_secret(deployment: Obj) -> str | None:
    """The Secret a deployment serves TLS from: a mounted secret volume, when a container
    is told where a certificate is (TLS_CERT_FILE or the like) or the secret says tls."""
    spec = deployment["spec"]["template"]["spec"]
    secrets = [
        str((v.get("secret") or {}).get("secretName"))
        for v in spec.get("volumes") or []
        if v.get("secret")
    ]
    told = any(
        "CERT" in str(env.get("name", "")).upper()
        for c in spec.get("containers") or []
        for env in c.get("env") or []
    )
    named = [s for s in secrets if "tls" in s.lower() or "cert" in s.lower()]
    if named:
        return named[0]
    return secrets[0] if told and secrets else None


def _expired_certificates(obs: Observations) -> list[Signal]:
    failing = [
        line for text in obs.logs.values() for line in text.splitlines() if EXPIRED.search(line)
    ]
    if not failing:
        return []
    servers = {
        d["metadata"]["name"]: secret
        for d in obs.items("deployments")
        if (secret := _tls_secret(d)) is not None
    }
    # Callers often name the host they failed to reach; else one TLS server is the one.
    named = [s for s in servers if any(re.search(rf"\b{re.escape(s)}\b", ln) for ln in failing)]
    candidates = named or (list(servers) if len(servers) == 1 else [])
    out = []
    for server in candidates[:1]:
        secret = servers[server]
        out.append(
            Signal(
                analyzer="certificate_expired",
                score=0.93,
                component=server,
                summary=f"{server}'s certificate (Secret {secret}) has expired: clients' TLS "
                f"handshakes fail ({len(failing)} lines). Renew the Secret; agents may not "
                "write Secrets, so on-call must",
                evidence=[failing[-1][:240], f"deploy/{server} serves TLS from secret/{secret}"],
                system_level="Application",
                fault_type="Misconfiguration",
            )
        )
    return out
