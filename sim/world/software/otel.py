"""The OpenTelemetry demo (AstronomyShop): services in many languages, configured as data
(log format, startup lines, request lines, dependencies, feature-flag effects), flagd serving
the flags from its file, and busybox init containers (`cp`, `until nc -z ...`).

A feature flag takes effect the way it does in the demo: flagd loads demo.flagd.json (copied
from the flagd-config ConfigMap by its init container at pod start), and each service asks
flagd over the network. Editing the ConfigMap therefore changes nothing until flagd restarts.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
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

Obj = dict[str, Any]
FLAGD_FILE = "/etc/flagd/demo.flagd.json"


def _line(t: datetime, pattern: str, ctx: RunContext, message: str, level: str) -> str:
    # The message first, so its own braces are not mistaken for placeholders.
    pattern = logfmt.fill(pattern, {"msg": message})
    values: dict[str, Any] = {
        **logfmt.stamps(t, pattern),
        "pod": ctx.pod_name,
        "ip": ctx.pod_ip,
        "level": level,
        "level_lower": level.lower(),
        "pino_level": {"DEBUG": 20, "INFO": 30, "WARN": 40, "ERROR": 50}.get(level, 30),
    }
    if "{uuid}" in pattern:
        values["uuid"] = uuid.UUID(int=ctx.seed("uuid", t) << 64 | ctx.seed("uuid2", t), version=4)
    return logfmt.fill(pattern, values)


class FlagD(Program):
    """flagd: serves the flags in its file over gRPC (8013) and OFREP (8016)."""

    memory_mib = 28
    cpu_millicores = 2

    def __init__(self, ports: tuple[int, ...], path: str) -> None:
        self.ports = ports
        self.path = path

    def start(self, ctx: RunContext) -> Fate:
        text = ctx.file(self.path)
        stamp = logfmt.stamps(ctx.at)["iso"]
        if text is None:
            return Fate(
                "exit",
                after=0.2,
                exit_code=1,
                reason="Error",
                startup=(
                    LogLine(
                        0.1,
                        f"{stamp}\terror\tflagd/main.go:92\tunable to start flagd: open "
                        f"{self.path}: no such file or directory",
                    ),
                ),
            )
        lines = (
            LogLine(0.05, f"{stamp}\tinfo\tflagd/main.go:97\tflagd version: v0.11.1"),
            LogLine(
                0.1,
                f"{stamp}\tinfo\tfile/filepath_sync.go:37\tStarting filepath "
                'sync notifier\t{"component": "sync", "sync": "filepath"}',
            ),
            LogLine(
                0.2,
                f"{stamp}\tinfo\tflag-evaluation/connect_service.go:247\t"
                'metrics and probes listening at 8014\t{"component": "service"}',
            ),
        )
        return Fate("run", ready_after=0.3, startup=lines)

    def poll(self, ctx: RunContext) -> Fate | None:
        # flagd reads its file once at start (the file watcher sees no change afterwards:
        # nothing rewrites the emptyDir copy).
        attempt = ctx.attempt
        if attempt is not None and "flags" not in attempt.state:
            try:
                flags = json.loads(ctx.file(self.path) or "{}").get("flags", {})
            except ValueError:
                flags = {}
            attempt.state["flags"] = flags
            attempt.lines.append(
                (
                    ctx.at,
                    f"{logfmt.stamps(ctx.at)['iso']}\tinfo\t"
                    f"store/flags.go:256\tflag configuration loaded: "
                    f'{len(flags)} flags\t{{"component": "store"}}',
                )
            )
        return None

    @staticmethod
    def flags(ctx: RunContext) -> Obj:
        attempt = ctx.attempt
        return dict(attempt.state.get("flags") or {}) if attempt is not None else {}


def _flagd_flags(ctx: RunContext) -> Obj | None:
    """The flags flagd serves to this service's OpenFeature client now, or None if it cannot
    reach flagd."""
    host = ctx.env("FLAGD_HOST") or "flagd"
    port = int(ctx.env("FLAGD_PORT") or 8013)
    conn = ctx.connect(host, port)
    if not conn.ok or conn.pod is None:
        return None
    found = ctx.world.program_serving(conn.pod, port, ctx.at)
    if found is None or not isinstance(found[0], FlagD):
        return None
    return FlagD.flags(found[1])


def _variant(flags: Obj | None, flag: str) -> Any:
    """A flag's value: its default variant's."""
    if flags is None:
        return None
    spec = flags.get(flag) or {}
    variant = spec.get("defaultVariant")
    return (spec.get("variants") or {}).get(variant)


def _active(value: Any) -> bool:
    return value not in (None, False, 0, 0.0, "off")


class DemoService(Program):
    """One OpenTelemetry demo component, described entirely by its image's config."""

    def __init__(self, config: Obj) -> None:
        self.config = config
        self.ports = tuple(int(p) for p in config.get("ports", ()))
        self.pattern = str(config.get("format", "{iso} {level} {msg}"))
        self.memory_mib = int(config.get("memory_mib", 40))
        self.cpu_millicores = int(config.get("cpu_millicores", 5))
        self.ready_after = float(config.get("ready_after", 2.0))
        self.calls: dict[str, str] = dict(config.get("calls") or {})
        self.call_errors: dict[str, str] = dict(config.get("call_errors") or {})
        self.flags: list[Obj] = list(config.get("flags") or [])

    def start(self, ctx: RunContext) -> Fate:
        lines = tuple(
            LogLine(
                0.1 + 0.05 * i,
                _line(
                    ctx.at + timedelta(seconds=0.1 + 0.05 * i), self.pattern, ctx, str(msg), "INFO"
                ),
            )
            for i, msg in enumerate(self.config.get("startup") or [])
        )
        return Fate("run", ready_after=self.ready_after, startup=lines)

    def serving(self, ctx: RunContext) -> set[int]:
        attempt = ctx.attempt
        if attempt is None or ctx.at < attempt.started + timedelta(seconds=self.ready_after):
            return set()
        return set(self.ports)

    # -- what is going on --------------------------------------------------------------------

    def active_flags(self, ctx: RunContext) -> list[Obj]:
        if not self.flags:
            return []
        served = _flagd_flags(ctx)  # one connection answers for every flag, as a client's does
        return [f for f in self.flags if _active(_variant(served, f["flag"]))]

    def _address(self, ctx: RunContext, name: str, active: list[Obj]) -> str:
        for effect in active:
            override = (effect.get("redirect") or {}).get(name)
            if override:
                return str(override)
        address = self.calls[name]
        return re.sub(r"\$\((\w+)\)", lambda m: ctx.env(m.group(1)) or "", address)

    def failure(self, ctx: RunContext, depth: int = 0) -> str | None:
        """The error this service's API answers with now, or None when it works."""
        active = self.active_flags(ctx)
        for effect in active:
            if effect.get("fails_with"):
                return str(effect["fails_with"])
        for name in self.config.get("critical") or []:
            status = call_status(ctx, self._address(ctx, name, active), depth + 1)
            if status is not None:
                return self.call_errors.get(name, "{error}").replace("{error}", status)
        return None

    def observe(self, ctx: RunContext) -> Observation:
        attempt = ctx.attempt
        if attempt is None or (not self.serving(ctx) and self.ports):
            return {}
        active = self.active_flags(ctx)
        seen = {f"flag:{f['flag']}": "on" for f in active}
        if self.failure(ctx) is not None:
            seen["failing"] = "yes"
        for name in self.calls:
            status = call_status(ctx, self._address(ctx, name, active))
            if status is not None:
                seen[f"call:{name}"] = status
        return seen

    def usage(self, ctx: RunContext, seen: Observation) -> tuple[int, int]:
        cpu, memory = self.cpu_millicores, self.memory_mib
        attempt = ctx.attempt
        for effect in [f for f in self.flags if f"flag:{f['flag']}" in seen]:
            cpu = int(cpu * float(effect.get("cpu_factor", 1)))
            growth = float(effect.get("memory_growth_mib_per_minute", 0))
            if growth and attempt is not None:
                minutes = (ctx.at - attempt.started).total_seconds() / 60
                memory = int(memory + growth * minutes)
        return cpu, memory

    def telemetry(self, ctx: RunContext, seen: Observation) -> Telemetry | None:
        if not self.ports or self.config.get("instrumented") is False:
            return None  # queue consumers and Kafka itself serve no requests
        service = ctx.env("OTEL_SERVICE_NAME") or str(ctx.container["name"])
        calls = {f"call:{name}": name for name in self.calls}
        declared = self.config.get("operations") or {
            str(self.config.get("operation", f"{service}/request")): list(self.calls)
        }
        operations = {op: tuple(f"call:{c}" for c in names) for op, names in declared.items()}
        active = [f for f in self.flags if f"flag:{f['flag']}" in seen]
        return Telemetry(
            service,
            str(self.config.get("protocol", "grpc")),
            operations,
            calls,
            self_ms=float(self.config.get("latency_ms", 3.0)),
            extra_ms=sum(float(f.get("latency_ms", 0)) for f in active),
            failing=any(f.get("fails_with") for f in active),
        )

    def runtime_log(
        self,
        ctx: RunContext,
        start: datetime,
        end: datetime,
        timeline: list[tuple[datetime, Observation]],
    ) -> list[tuple[datetime, str]]:
        out: list[tuple[datetime, str]] = []

        def emit(key: str, since: datetime, until: datetime, spec: Obj, level: str) -> None:
            """A configured line, at its own cadence, over [since, until)."""
            for t in ticks(ctx, key, since, until, float(spec["every"])):
                out.append(
                    (
                        t,
                        _line(
                            t, self.pattern, ctx, str(spec["msg"]), str(spec.get("level", level))
                        ),
                    )
                )

        # Successful requests are only logged while the service is not failing them.
        first_seen = timeline[0][0] if timeline else end
        healthy = [(start, first_seen)] if first_seen > start else []
        healthy += [(a, b) for a, b, seen in spans(timeline, start, end) if "failing" not in seen]
        for i, spec in enumerate(self.config.get("requests") or []):
            for since, until in healthy:
                emit(f"request{i}", since, until, spec, "INFO")
        effects = {f"flag:{f['flag']}": f for f in self.flags}
        error_every = float(self.config.get("error_every", 3.0))
        for since, until, seen in spans(timeline, start, end):
            for key, status in sorted(seen.items()):
                if key in effects:
                    for n, spec in enumerate(effects[key].get("logs") or []):
                        emit(f"{key}{n}", since, until, spec, "WARN")
                elif key.startswith("call:"):
                    name = key.removeprefix("call:")
                    message = self.call_errors.get(name, f"{name} call failed: {{error}}")
                    emit(
                        key,
                        since,
                        until,
                        {"every": error_every, "msg": message.replace("{error}", status)},
                        "ERROR",
                    )
        return out


def call_status(ctx: RunContext, address: str, depth: int = 0) -> str | None:
    """None if a gRPC/HTTP call to `address` succeeds now, else the error text the caller
    sees (connection errors in gRPC's words, or the callee's own failure)."""
    host, port = split_address(address.removeprefix("http://"), 8080)
    conn = ctx.connect(host, port)
    if conn.error == "dns":
        return (
            f'rpc error: code = Unavailable desc = connection error: desc = "transport: '
            f'Error while dialing: dial tcp: lookup {host} on 10.96.0.10:53: no such host"'
        )
    if conn.error == "timeout":
        return "rpc error: code = DeadlineExceeded desc = context deadline exceeded"
    if conn.error == "tls":
        return (
            'rpc error: code = Unavailable desc = connection error: desc = "transport: '
            f'authentication handshake failed: tls: failed to verify certificate: {conn.detail}"'
        )
    if not conn.ok or conn.pod is None:
        return (
            f'rpc error: code = Unavailable desc = connection error: desc = "transport: '
            f'Error while dialing: dial tcp {conn.address}: connect: connection refused"'
        )
    if depth >= 3:
        return None
    found = ctx.world.program_serving(conn.pod, int(conn.address.rsplit(":", 1)[1]), ctx.at)
    if found is None or not isinstance(found[0], DemoService):
        return None
    failure = found[0].failure(found[1], depth)
    return None if failure is None else f"rpc error: code = Unknown desc = {failure}"


def demo_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    return DemoService(entry.config)


def flagd_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    words = command + args
    ports = [int(words[i + 1]) for i, w in enumerate(words[:-1]) if w in ("--port", "--ofrep-port")]
    uri = next(
        (words[i + 1] for i, w in enumerate(words[:-1]) if w == "--uri"),
        "file:./etc/flagd/demo.flagd.json",
    )
    path = "/" + uri.removeprefix("file:").removeprefix("./").lstrip("/")
    return FlagD(tuple(ports) or (8013,), path)
