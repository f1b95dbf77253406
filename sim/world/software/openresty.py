"""nginx-thrift: SocialNetwork's OpenResty front end, whose Lua handlers call the Thrift
services and log each failed request to nginx's error log."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sim.world.lifecycle import Fate
from sim.world.software import logfmt
from sim.world.software.base import Observation, Program, RunContext, Telemetry, spans, ticks
from sim.world.software.catalog import ImageEntry
from sim.world.software.dsb import THRIFT_PORT, thrift_status


class OpenRestyFrontend(Program):
    """nginx-thrift: OpenResty with Lua handlers calling the Thrift services."""

    ports = (8080,)
    memory_mib = 24
    cpu_millicores = 6
    calls = (
        "compose-post-service",
        "user-timeline-service",
        "home-timeline-service",
        "user-service",
        "social-graph-service",
    )
    _ROUTES: ClassVar[dict[str, tuple[str, str, str, str]]] = {
        "compose-post-service": (
            "compose.lua",
            "ComposePost",
            "compose_post",
            "POST /wrk2-api/post/compose",
        ),
        "user-timeline-service": (
            "read-user-timeline.lua",
            "ReadUserTimeline",
            "read_user_timeline",
            "GET /wrk2-api/user-timeline/read",
        ),
        "home-timeline-service": (
            "read-home-timeline.lua",
            "ReadHomeTimeline",
            "read_home_timeline",
            "GET /wrk2-api/home-timeline/read",
        ),
        "user-service": (
            "register.lua",
            "RegisterUser",
            "register_user",
            "POST /wrk2-api/user/register",
        ),
        "social-graph-service": ("follow.lua", "Follow", "follow", "POST /wrk2-api/user/follow"),
    }

    def __init__(self, request_interval: float) -> None:
        self.request_interval = request_interval

    def start(self, ctx: RunContext) -> Fate:
        return Fate("run", ready_after=0.0)

    def observe(self, ctx: RunContext) -> Observation:
        return {callee: thrift_status(ctx, callee) for callee in self.calls}

    def telemetry(self, ctx: RunContext, seen: Observation) -> Telemetry:
        operations = {route[3]: (callee,) for callee, route in self._ROUTES.items()}
        return Telemetry(
            "nginx-web-server", "http", operations, {c: c for c in self.calls}, self_ms=1.0
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
            for callee, status in sorted(seen.items()):
                if status == "ok":
                    continue
                script, fn, op, request = self._ROUTES[callee]
                kind = status.split(":", 1)[0]
                detail = (
                    "ServiceException"
                    if kind == "upstream"
                    else f"Could not connect to {callee}:{THRIFT_PORT} ("
                    f"{'timed out' if kind == 'timeout' else 'connection refused'})"
                )
                for n, t in enumerate(ticks(ctx, callee, since, until, self.request_interval)):
                    out.append(
                        (
                            t,
                            logfmt.nginx_error(
                                t,
                                "error",
                                f"*{1000 + n} [lua] {script}:62: {fn}(): {op} failure: "
                                f"{detail}, client: 10.244.1.1, server: localhost, request: "
                                f'"{request} HTTP/1.1", host: "nginx-thrift:8080"',
                            ),
                        )
                    )
        return out


def openresty_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    return OpenRestyFrontend(float(entry.config.get("request_interval", 2.0)))
