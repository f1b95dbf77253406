"""The MongoDB driver side: connecting as the services' drivers do (TCP, TLS if the server
insists, the connection limit, SCRAM auth), and what a refused command leaves in the logs."""

from __future__ import annotations

from dataclasses import dataclass

from sim.kube.resources import resource_for_kind
from sim.world.mongo import AuthAttempt, MongoData
from sim.world.network import Connection
from sim.world.software.base import RunContext, split_address
from sim.world.software.mongodb import MongoDB

PODS = resource_for_kind("Pod")


@dataclass(frozen=True)
class MongoSession:
    """What a driver gets from connecting (and authenticating) to a mongod."""

    outcome: str  # "ok", "unreachable", "tls_required", "auth_failed"
    connection: Connection
    data: MongoData | None = None
    server: MongoDB | None = None
    user: str | None = None

    def can_read(self, db: str) -> bool:
        if self.data is None or self.server is None:
            return False
        if not self.server.auth or self.user is None:
            return True
        return self.data.can_read(self.user, db)


def mongo_connect(
    ctx: RunContext,
    address: str,
    *,
    user: str | None = None,
    password: str | None = None,
    tls: bool = False,
    record: bool = True,
    pool: int = 1,
) -> MongoSession:
    """Connect as a driver would: TCP, then TLS if the server insists, then SCRAM auth."""
    host, port = split_address(address, 27017)
    conn = ctx.connect(host, port)
    if not conn.ok or conn.pod is None:
        return MongoSession("unreachable", conn)
    found = ctx.world.program_serving(conn.pod, int(conn.address.rsplit(":", 1)[1]), ctx.at)
    if found is None:
        return MongoSession("unreachable", conn)
    server, server_ctx = found
    if not isinstance(server, MongoDB):
        return MongoSession("unreachable", conn)
    data = ctx.world.mongo_data(conn.pod)
    mode, _ = server.tls(server_ctx)

    def note(outcome: str, detail: str = "") -> None:
        if record and (
            not data.attempts
            or data.attempts[-1].at != ctx.at
            or data.attempts[-1].client != ctx.pod_ip
        ):
            data.attempts.append(AuthAttempt(ctx.at, ctx.pod_ip, user or "", outcome, detail))

    if mode == "requireTLS" and not tls:
        note("tls_required")
        return MongoSession("tls_required", conn, data, server)
    if not _admit(ctx, data, server, server_ctx, pool):
        if not data.attempts or (data.attempts[-1].client, data.attempts[-1].outcome) != (
            ctx.pod_ip,
            "too_many",
        ):
            data.attempts.append(AuthAttempt(ctx.at, ctx.pod_ip, user or "", "too_many", ""))
        return MongoSession("refused", conn, data, server)
    if user is not None and not data.authenticate(user, password or ""):
        note("user_not_found")
        return MongoSession("auth_failed", conn, data, server, user)
    note("ok")
    return MongoSession("ok", conn, data, server, user)


def _admit(
    ctx: RunContext, data: MongoData, server: MongoDB, server_ctx: RunContext, pool: int
) -> bool:
    """Whether mongod accepts this client's pool: clients keep their pools open, first come
    first served, up to maxIncomingConnections (the rest are refused on connect)."""
    process = f"{server_ctx.pod['metadata']['uid']}/{server_ctx.restart}"
    holders = data.pools.setdefault(process, {})
    for key in list(holders):
        pod = ctx.world.store.peek(PODS, *key)
        if pod is None or not any(True for _ in ctx.world.running(pod, ctx.at)):
            del holders[key]
    me = (ctx.namespace, ctx.pod_name)
    if me in holders:
        return True
    if sum(holders.values()) + pool > server.max_connections(server_ctx):
        return False
    holders[me] = pool
    return True


def record_unauthorized(session: MongoSession, ctx: RunContext, detail: str) -> None:
    if session.data is not None:
        session.data.attempts.append(
            AuthAttempt(ctx.at, ctx.pod_ip, session.user or "", "unauthorized", detail)
        )
