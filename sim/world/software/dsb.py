"""SocialNetwork's C++ Thrift services and its OpenResty front end (DeathStarBench
socialNetwork as AIOpsLab's Helm chart deploys it). They find each other through Kubernetes
Services, build MongoDB indexes before opening their port (retrying forever), and log failed
calls the way Thrift's ClientPool does."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sim.world.lifecycle import Fate, LogLine
from sim.world.software import logfmt
from sim.world.software.base import (
    Observation,
    Program,
    RunContext,
    Telemetry,
    spans,
    split_address,
    ticks,
)
from sim.world.software.catalog import ImageEntry
from sim.world.software.dsb_roles import CLIENT_NAMES, HANDLER_ERRORS, ROLES, Role
from sim.world.software.mongoclient import mongo_connect

CONFIG = "/social-network-microservices/config/service-config.json"
THRIFT_PORT = 9090


@lru_cache(maxsize=32)
def _mongo_entries(text: str) -> dict[str, Any]:
    """service-config.json's entries (read-only), parsed once per content: every health
    check and trace asks for a MongoDB address, and parsing was 2% of an eval run's Python
    samples (py-spy)."""
    try:
        config = json.loads(text)
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def _mongo_entry(ctx: RunContext, mongo: str) -> dict[str, Any]:
    entry = _mongo_entries(ctx.file(CONFIG) or "{}").get(mongo)
    return entry if isinstance(entry, dict) else {}


def client_name(service: str) -> str:
    return CLIENT_NAMES.get(service, f"{service}-client")


def thrift_status(ctx: RunContext, service: str, depth: int = 0) -> str:
    """How a Thrift call to `service` fares now: "ok", "refused", "timeout", "dns", or
    "upstream:<why>" when the callee is up but fails on its own dependencies."""
    conn = ctx.connect(service, THRIFT_PORT)
    if not conn.ok:
        return conn.error
    if conn.delay_ms >= 10_000:
        return "timeout"
    if depth >= 3 or conn.pod is None:
        return "ok"
    found = ctx.world.program_serving(conn.pod, THRIFT_PORT, ctx.at)
    if found is None:
        return "ok"
    callee, callee_ctx = found
    if not isinstance(callee, ThriftService):
        return "ok"
    inner = callee.health(callee_ctx, depth + 1)
    return "ok" if inner == "ok" else f"upstream:{inner}"


def _config_problem(text: str, service: str) -> tuple[str, str] | None:
    """What nlohmann::json throws reading service-config.json, if anything: a syntax error,
    or the service's own port of the wrong type."""
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        last = text[max(exc.pos - 10, 0) : exc.pos + 1].replace("\n", " ")
        return (
            "parse_error",
            f"[json.exception.parse_error.101] parse error at line {exc.lineno}, column "
            f"{exc.colno}: syntax error while parsing value - invalid literal; last read: "
            f"'{last}'",
        )
    port = (config.get(service) or {}).get("port") if isinstance(config, dict) else None
    if port is not None and not isinstance(port, int):
        kind = "string" if isinstance(port, str) else type(port).__name__
        return "type_error", f"[json.exception.type_error.302] type must be number, but is {kind}"
    return None


def _socket_error(kind: str, service: str) -> str:
    if kind == "tls":
        return (
            "TSSLSocket::open() SSL_connect: error:0A000086:SSL routines::certificate verify "
            f"failed (certificate has expired) <Host: {service} Port: {THRIFT_PORT}>"
        )
    if kind == "dns":
        return (
            f"TSocket::open() getaddrinfo() <Host: {service} Port: {THRIFT_PORT}>: "
            "Name or service not known"
        )
    reason = "Connection timed out" if kind == "timeout" else "Connection refused"
    return f"TSocket::open() connect() <Host: {service} Port: {THRIFT_PORT}>: {reason}"


class ThriftService(Program):
    memory_mib = 9
    cpu_millicores = 3
    ports = (THRIFT_PORT,)

    def __init__(self, binary: str, role: Role, request_interval: float) -> None:
        self.binary = binary
        self.role = role
        self.request_interval = request_interval

    def _where(self, line: int, fn: str = "main", source: str | None = None) -> str:
        return f"{source or self.role.source}:{line}:{fn}"

    def _mongo_pool(self, ctx: RunContext) -> int:
        """The mongoc client pool size its config gives ("connections")."""
        if self.role.mongo is None:
            return 1
        try:
            return int(_mongo_entry(ctx, self.role.mongo).get("connections", 1))
        except (ValueError, TypeError):
            return 1

    def _mongo_address(self, ctx: RunContext) -> str | None:
        if self.role.mongo is None:
            return None
        entry = _mongo_entry(ctx, self.role.mongo)
        return f"{entry.get('addr', self.role.mongo)}:{entry.get('port', 27017)}"

    def start(self, ctx: RunContext) -> Fate:
        if ctx.file(CONFIG) is None:
            return Fate(
                "exit",
                after=0.05,
                exit_code=1,
                reason="Error",
                startup=(
                    LogLine(
                        0.01,
                        logfmt.boost(
                            ctx.at,
                            "fatal",
                            "utils.h:33:load_config_file",
                            "Cannot open service-config.json",
                        ),
                    ),
                ),
            )
        problem = _config_problem(ctx.file(CONFIG) or "", self.role.service)
        if problem is not None:
            # nlohmann::json throws; nothing catches it, so the process aborts (SIGABRT).
            kind, what = problem
            return Fate(
                "exit",
                after=0.02,
                exit_code=134,
                reason="Error",
                startup=(
                    LogLine(
                        0.01,
                        "terminate called after throwing an instance of "
                        f"'nlohmann::detail::{kind}'",
                    ),
                    LogLine(0.01, f"  what():  {what}"),
                ),
            )
        lines = []
        if self.role.machine_id:
            machine = f"{ctx.seed('machine') % 1024:x}"
            lines.append(
                LogLine(
                    0.001,
                    logfmt.boost(
                        ctx.at,
                        "info",
                        self._where(self.role.start_line - 30),
                        f"machine_id = {machine}",
                    ),
                )
            )
        return Fate("run", ready_after=0.0, startup=tuple(lines), wake_after=(0.5,))

    def poll(self, ctx: RunContext) -> Fate | None:
        attempt = ctx.attempt
        if attempt is None or attempt.state.get("serving_at"):
            return None
        address = self._mongo_address(ctx)
        if address is not None and self.role.creates_index:
            session = mongo_connect(ctx, address, record=False, pool=self._mongo_pool(ctx))
            if session.outcome != "ok":
                attempt.state.setdefault("index_failing_since", ctx.at)
                attempt.state["index_error"] = session.outcome
                return None
        attempt.state["serving_at"] = ctx.at
        attempt.lines.append(
            (
                ctx.at,
                logfmt.boost(ctx.at, "info", self._where(self.role.start_line), self.role.startup),
            )
        )
        return None

    def serving(self, ctx: RunContext) -> set[int]:
        attempt = ctx.attempt
        if attempt is None or not attempt.state.get("serving_at"):
            return set()
        return {THRIFT_PORT}

    def health(self, ctx: RunContext, depth: int = 0) -> str:
        """Whether a request to this service succeeds end to end right now."""
        address = self._mongo_address(ctx)
        if address is not None:
            session = mongo_connect(ctx, address, record=False, pool=self._mongo_pool(ctx))
            if session.outcome != "ok":
                return f"mongo:{session.outcome}"
        for callee in self.role.calls:
            status = thrift_status(ctx, callee, depth)
            if status != "ok":
                return f"{callee}:{status}"
        return "ok"

    def observe(self, ctx: RunContext) -> Observation:
        attempt = ctx.attempt
        if attempt is None:
            return {}
        if not attempt.state.get("serving_at"):
            return {"index": str(attempt.state.get("index_error", "pending"))}
        seen = {callee: thrift_status(ctx, callee) for callee in self.role.calls}
        address = self._mongo_address(ctx)
        if address is not None:
            seen["mongo"] = mongo_connect(
                ctx, address, record=False, pool=self._mongo_pool(ctx)
            ).outcome
        return seen

    def telemetry(self, ctx: RunContext, seen: Observation) -> Telemetry:
        # DeathStarBench names its server spans after the handler: compose_post_server, ...
        keys = tuple(self.role.calls) + (("mongo",) if self.role.mongo else ())
        callees = {callee: callee for callee in self.role.calls}
        address = self._mongo_address(ctx)
        if address is not None:
            callees["mongo"] = split_address(address, 27017)[0]
        operation = self.role.service.removesuffix("-service").replace("-", "_") + "_server"
        return Telemetry(self.role.service, "thrift", {operation: keys}, callees, self_ms=1.5)

    def runtime_log(
        self,
        ctx: RunContext,
        start: datetime,
        end: datetime,
        timeline: list[tuple[datetime, Observation]],
    ) -> list[tuple[datetime, str]]:
        out: list[tuple[datetime, str]] = []
        for since, until, seen in spans(timeline, start, end):
            for key, status in sorted(seen.items()):
                if status == "ok":
                    continue
                interval = 1.0 if key == "index" else self.request_interval
                for n, t in enumerate(ticks(ctx, key, since, until, interval)):
                    out += self._failure_lines(t, key, status, n)
        return out

    def _failure_lines(
        self, t: datetime, key: str, status: str, n: int
    ) -> list[tuple[datetime, str]]:
        if key == "index":
            error = _mongoc_error(status, self.role.mongo or "mongodb")
            return [
                (
                    t,
                    logfmt.boost(
                        t,
                        "error",
                        "utils_mongodb.h:48:CreateIndex",
                        f"Error in createIndexes: {error}",
                    ),
                ),
                (
                    t,
                    logfmt.boost(
                        t,
                        "error",
                        self._where(self.role.start_line - 12),
                        "Failed to create mongodb index, try again",
                    ),
                ),
            ]
        if key == "mongo":
            error = _mongoc_error(status, self.role.mongo or "mongodb")
            return [
                (
                    t,
                    logfmt.boost(
                        t,
                        "error",
                        f"{self.binary.removesuffix('Service')}Handler.h:120:Handle",
                        f"MongoDB error: {error}",
                    ),
                )
            ]
        kind = status.split(":", 1)[0]
        if kind == "upstream":
            where, message = HANDLER_ERRORS.get(
                (self.role.service, key),
                (
                    f"{self.binary.removesuffix('Service')}Handler.h:98",
                    f"Received an exception from {key}",
                ),
            )
            return [(t, logfmt.boost(t, "error", f"{where}:Handle", message))]
        return [
            (t, logfmt.thrift(t, _socket_error(kind, key))),
            (
                t,
                logfmt.boost(
                    t, "error", "ClientPool.h:114:Pop", f"Failed to connect {client_name(key)}"
                ),
            ),
        ]


def _mongoc_error(status: str, host: str) -> str:
    if status.endswith(("tls_required", "refused")):
        return (
            f"No suitable servers found (`serverSelectionTryOnce` set): [connection closed "
            f"calling hello on '{host}:27017']"
        )
    return (
        f"No suitable servers found (`serverSelectionTryOnce` set): [connection refused "
        f"calling hello on '{host}:27017']"
    )


def thrift_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program | None:
    binary = (command or [""])[0].rsplit("/", 1)[-1]
    role = ROLES.get(binary)
    if role is None:
        return None
    return ThriftService(binary, role, float(entry.config.get("request_interval", 2.0)))
