"""HotelReservation's Go services (DeathStarBench hotelReservation as AIOpsLab ships it): one
image, one binary per service, configuration baked in as config.json, service discovery through
consul, MongoDB through mgo. Their startup lines, panics and request errors follow the source."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sim.kube.resources import resource_for_kind
from sim.world.certificates import handshake_problem
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
from sim.world.software.hotel_roles import FRONTEND_CALLS, METHODS, ROLES, ROUTES, Role
from sim.world.software.mongoclient import mongo_connect, record_unauthorized

PODS = resource_for_kind("Pod")
DIAL_TIMEOUT = 10.0  # mgo.Dial gives up after this long without a reachable server


def _grpc_error(status: str) -> str:
    kind, _, rest = status.partition(":")
    if kind == "no-instances":
        return "rpc error: code = Unavailable desc = name resolver error: produced zero addresses"
    if kind == "timeout":
        return "rpc error: code = DeadlineExceeded desc = context deadline exceeded"
    if kind == "tls":
        return (
            'rpc error: code = Unavailable desc = connection error: desc = "transport: '
            f'authentication handshake failed: tls: failed to verify certificate: {rest}"'
        )
    if kind == "upstream":
        callee, _, inner = rest.partition(":")
        return f"rpc error: code = Unknown desc = {callee} call failed: {_grpc_error(inner)}"
    return (
        'rpc error: code = Unavailable desc = connection error: desc = "transport: '
        f'Error while dialing: dial tcp {rest}: connect: connection refused"'
    )


class HotelService(Program):
    memory_mib = 14
    cpu_millicores = 4

    def __init__(self, binary: str, role: Role, config: dict[str, Any]) -> None:
        self.binary = binary
        self.role = role
        self.config = config
        self.port = int(config.get(role.port_key, 0))
        self.ports = (self.port,)
        self.error_interval = float(config.get("error_interval_seconds", 2.5))

    def _log(self, t: datetime, level: str, caller: str, message: str) -> tuple[datetime, str]:
        return t, logfmt.zerolog(t, level, caller, message)

    def _main(self, line: int) -> str:
        return f"cmd/{self.binary}/main.go:{line}"

    def start(self, ctx: RunContext) -> Fate:
        t = ctx.at
        lines = [
            LogLine(0.0, logfmt.zerolog_json(t, "info", "Set global log level: info")),
            LogLine(0.0, logfmt.zerolog_json(t, "info", "Tune: setGCPercent to 100")),
            LogLine(0.001, logfmt.zerolog(t, "INF", self._main(23), "Reading config...")),
        ]
        if self.role.mongo_key:
            lines += [
                LogLine(
                    0.002,
                    logfmt.zerolog(
                        t,
                        "INF",
                        self._main(36),
                        f"Read database URL: {self.config.get(self.role.mongo_key)}",
                    ),
                ),
                LogLine(
                    0.002, logfmt.zerolog(t, "INF", self._main(37), "Initializing DB connection...")
                ),
            ]
        return Fate("run", ready_after=0.0, startup=tuple(lines), wake_after=(DIAL_TIMEOUT,))

    def poll(self, ctx: RunContext) -> Fate | None:
        attempt = ctx.attempt
        if attempt is None or attempt.state.get("phase") in ("serving", "failed"):
            return None
        elapsed = (ctx.at - attempt.started).total_seconds()
        out = attempt.lines
        t = ctx.at
        if self.role.mongo_key and "db" not in attempt.state:
            address = str(self.config.get(self.role.mongo_key))
            user = password = None
            if self.role.credentials:
                user = password = "admin"
            session = mongo_connect(ctx, address, user=user, password=password)
            if session.outcome in ("unreachable", "tls_required"):
                if elapsed < DIAL_TIMEOUT:
                    return None
                return self._crash(
                    attempt, DIAL_TIMEOUT, "PNC", "db.go:26", "no reachable servers", exit_code=2
                )
            if session.outcome == "auth_failed":
                return self._crash(
                    attempt,
                    elapsed + 0.01,
                    "PNC",
                    "db.go:30",
                    "server returned error on SASL authentication step: Authentication failed.",
                    exit_code=2,
                )
            out.append(
                self._log(t, "INF", f"cmd/{self.binary}/db.go:33", "New session successfull...")
            )
            out.append(
                self._log(t, "INF", f"cmd/{self.binary}/db.go:35", "Generating test data...")
            )
            if not session.can_read(self.role.database):
                detail = (
                    f"not authorized on {self.role.database} to execute command "
                    f'{{ count: "{self.role.collection}", query: {{ hotelId: "1" }}, '
                    f'$db: "{self.role.database}" }}'
                )
                record_unauthorized(session, ctx, detail)
                return self._crash(
                    attempt,
                    elapsed + 0.02,
                    "FTL",
                    f"cmd/{self.binary}/db.go:39",
                    detail,
                    exit_code=1,
                    panic=False,
                )
            attempt.state["db"] = True
            out.append(self._log(t, "INF", self._main(40), "Successfull"))
        if self.role.memc_key:
            out += [
                self._log(
                    t,
                    "INF",
                    self._main(43),
                    f"Read profile memcashed address: {self.config.get(self.role.memc_key)}",
                ),
                self._log(t, "INF", self._main(44), "Initializing Memcashed client..."),
                self._log(t, "INF", "tune/setting.go:61", "Tune: GetMemCTimeout 2"),
                self._log(t, "INF", self._main(46), "Successfull"),
            ]
        consul = str(self.config.get("consulAddress", "consul:8500"))
        jaeger = str(self.config.get("jaegerAddress", "jaeger:6831"))
        out += [
            self._log(t, "INF", self._main(45), f"Read target port: {self.port}"),
            self._log(t, "INF", self._main(46), f"Read consul address: {consul}"),
            self._log(t, "INF", self._main(47), f"Read jaeger address: {jaeger}"),
            self._log(
                t,
                "INF",
                self._main(55),
                f"Initializing jaeger agent [service name: {self.binary} | host: {jaeger}]...",
            ),
            self._log(
                t, "INF", "tracing/tracer.go:26", "Jaeger client: adjusted sample ratio 1.000000"
            ),
            self._log(t, "INF", self._main(61), "Jaeger agent initialized"),
            self._log(t, "INF", self._main(63), f"Initializing consul agent [host: {consul}]..."),
            self._log(t, "INF", self._main(68), "Consul agent initialized"),
            self._log(t, "INF", self._main(79), "Starting server..."),
        ]
        if self.role.registers:
            service_id = uuid.UUID(
                int=ctx.seed("consul-id") << 64 | ctx.seed("consul-id", 2), version=4
            )
            out.append(
                self._log(
                    t,
                    "INF",
                    "registry/registry.go:91",
                    f"Trying to register service [ name: srv-{self.binary}, id: "
                    f"{service_id}, address: {ctx.pod_ip}:{self.port} ]",
                )
            )
            host, port = split_address(consul, 8500)
            conn = ctx.connect(host, port)
            if not conn.ok:
                reason = (
                    "lookup consul on 10.96.0.10:53: no such host"
                    if conn.error == "dns"
                    else f"dial tcp {conn.address}: connect: connection refused"
                )
                return self._crash(
                    attempt,
                    elapsed + 0.05,
                    "FTL",
                    self._main(85),
                    f'failed register: Put "http://{consul}/v1/agent/service/register": {reason}',
                    exit_code=1,
                    panic=False,
                )
            out.append(
                self._log(
                    t,
                    "INF",
                    f"services/{self.binary}/server.go:110",
                    "Successfully registered in consul",
                )
            )
        else:
            out += [
                self._log(
                    t, "INF", "services/frontend/server.go:45", "Initializing gRPC clients..."
                ),
                self._log(t, "INF", "services/frontend/server.go:65", "Successfull"),
                self._log(t, "INF", "services/frontend/server.go:87", "Serving http"),
            ]
        attempt.state["phase"] = "serving"
        attempt.state["registered"] = f"srv-{self.binary}" if self.role.registers else None
        return None

    def _crash(
        self,
        attempt: Any,
        after: float,
        level: str,
        caller: str,
        message: str,
        *,
        exit_code: int,
        panic: bool = True,
    ) -> Fate:
        attempt.state["phase"] = "failed"
        at = attempt.started + timedelta(seconds=after)
        final = [LogLine(0.0, logfmt.zerolog(at, level, caller, message))]
        if panic:
            final += [
                LogLine(0.0, f"panic: {message}"),
                LogLine(0.0, ""),
                LogLine(0.0, "goroutine 1 [running]:"),
                LogLine(0.0, "github.com/rs/zerolog.(*Logger).Panic.func1({0xc0000a4000, 0x14})"),
                LogLine(0.0, f"\t/go/src/github.com/harlow/go-micro-services/{caller} +0x2d"),
                LogLine(0.0, "main.main()"),
                LogLine(
                    0.0,
                    f"\t/go/src/github.com/harlow/go-micro-services/"
                    f"cmd/{self.binary}/main.go:38 +0x4f2",
                ),
            ]
        return Fate("exit", after=after, exit_code=exit_code, reason="Error", final=tuple(final))

    def serving(self, ctx: RunContext) -> set[int]:
        attempt = ctx.attempt
        if attempt is None or attempt.state.get("phase") != "serving":
            return set()
        return {self.port}

    def registered_name(self, ctx: RunContext) -> str | None:
        attempt = ctx.attempt
        if attempt is None or attempt.state.get("phase") != "serving":
            return None
        name = attempt.state.get("registered")
        return str(name) if name else None

    def observe(self, ctx: RunContext) -> Observation:
        attempt = ctx.attempt
        if attempt is None or attempt.state.get("phase") != "serving":
            return {}
        seen = {name: _call_status(ctx, name) for name in self.role.calls}
        if self.role.mongo_key:
            session = mongo_connect(
                ctx,
                str(self.config.get(self.role.mongo_key)),
                user="admin" if self.role.credentials else None,
                password="admin" if self.role.credentials else None,
                record=False,
            )
            seen["mongo"] = "ok" if session.outcome == "ok" else session.outcome
        return seen

    def telemetry(self, ctx: RunContext, seen: Observation) -> Telemetry:
        callees = {name: name.removeprefix("srv-") for name in self.role.calls}
        keys = self.role.calls
        if self.role.mongo_key:
            callees["mongo"] = split_address(str(self.config.get(self.role.mongo_key)), 27017)[0]
            keys += ("mongo",)
        if self.binary == "frontend":
            return Telemetry(
                "frontend", "http", ROUTES, callees, self_ms=2.0, cpu_ms_per_request=3.0
            )
        method = f"/{self.binary}.{self.binary.capitalize()}/{METHODS.get(self.binary, 'Call')}"
        return Telemetry(
            self.binary, "grpc", {method: keys}, callees, self_ms=1.0, cpu_ms_per_request=1.0
        )

    def runtime_log(
        self,
        ctx: RunContext,
        start: datetime,
        end: datetime,
        timeline: list[tuple[datetime, Observation]],
    ) -> list[tuple[datetime, str]]:
        out: list[tuple[datetime, str]] = []
        for since, until, seen in spans(timeline, start, end):
            for name, status in sorted(seen.items()):
                if status.split(":", 1)[0] not in ("ok", ""):
                    out += [
                        self._error_line(t, name, status)
                        for t in ticks(ctx, name, since, until, self.error_interval)
                    ]
        return out

    def _error_line(self, t: datetime, name: str, status: str) -> tuple[datetime, str]:
        """What a request that needed `name` logs when `name` fails with `status`."""
        if name == "mongo":
            reason = (
                "Closed explicitly"
                if status == "unreachable"
                else "server returned error on SASL authentication step: Authentication failed."
            )
            return self._log(
                t,
                "ERR",
                f"services/{self.binary}/server.go:96",
                f"Failed to query {self.role.database}: {reason}",
            )
        if self.binary == "frontend":
            _handler, call = FRONTEND_CALLS.get(name, ("handler", name))
            return self._log(
                t, "ERR", "services/frontend/server.go:172", f"{call} failed: {_grpc_error(status)}"
            )
        return self._log(
            t,
            "ERR",
            f"services/{self.binary}/server.go:84",
            f"{name.removeprefix('srv-')} call failed: {_grpc_error(status)}",
        )


def _call_status(ctx: RunContext, name: str, depth: int = 0) -> str:
    """How a gRPC call to a consul-registered service fares right now: "ok", or the first
    failure on the way ("upstream" when the callee itself fails on its own calls)."""
    if not ctx.connect("consul", 8500).ok:
        return "no-instances"
    instances = consul_instances(ctx, name)
    if not instances:
        return "no-instances"
    status = ""
    for pod, port, program, sub in instances:
        effect = ctx.world.network_effect(ctx.pod, pod, ctx.at)
        address = f"{pod['status'].get('podIP')}:{port}"
        if effect.loss >= 0.5 or effect.delay_ms >= 1000:
            status = f"timeout:{address}"
            continue
        if port not in ctx.world.serving_ports(pod, ctx.at):
            status = f"refused:{address}"
            continue
        problem = handshake_problem(ctx.world, pod, port, ctx.at)
        if problem is not None:
            status = f"tls:{problem}"
            continue
        if depth < 3:
            for callee in program.role.calls:
                inner = _call_status(sub, callee, depth + 1)
                if inner != "ok":
                    return f"upstream:{callee.removeprefix('srv-')}:{inner}"
        return "ok"
    return status


def consul_instances(
    ctx: RunContext, name: str
) -> list[tuple[dict[str, Any], int, HotelService, RunContext]]:
    """Pods in the namespace whose Go service registered `name` in consul."""
    found = []
    for pod in ctx.world.store.iter(PODS, ctx.namespace):
        for program, sub in ctx.world.running(pod, ctx.at):
            if isinstance(program, HotelService) and program.registered_name(sub) == name:
                found.append((pod, program.port, program, sub))
    return found


def hotel_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program | None:
    binary = (command or [str(entry.config.get("entrypoint", ""))])[0].rsplit("/", 1)[-1]
    role = ROLES.get(binary)
    if role is None:
        return None
    return HotelService(binary, role, dict(entry.config.get("config") or {}))
