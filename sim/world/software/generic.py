"""Software whose behaviour in the emulation is just to run: servers configured by data
(ports, startup lines, periodic chatter), the pause image, and one-shot commands."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sim.world.lifecycle import Fate, LogLine
from sim.world.software import logfmt
from sim.world.software.base import Observation, Program, RunContext, ticks
from sim.world.software.catalog import ImageEntry


def render_line(t: datetime, pattern: str, ctx: RunContext, **extra: Any) -> str:
    """Fill a configured line's `{iso}`-style stamps, `{pod}`, `{ip}` and `extra` keys."""
    return logfmt.fill(
        pattern, {**logfmt.stamps(t, pattern), "pod": ctx.pod_name, "ip": ctx.pod_ip, **extra}
    )


class GenericServer(Program):
    """A server that listens on its configured ports, logs its startup lines and, every
    `every` seconds, each of its periodic lines (the harmless chatter of a healthy process)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.ports = tuple(int(p) for p in config.get("ports", ()))
        self.startup_lines = tuple(str(line) for line in config.get("startup", ()))
        self.periodic = [(float(p["every"]), str(p["line"])) for p in config.get("periodic", ())]
        self.memory_mib = int(config.get("memory_mib", 32))
        self.cpu_millicores = int(config.get("cpu_millicores", 3))
        self.ready_after = float(config.get("ready_after", 1.0))

    def start(self, ctx: RunContext) -> Fate:
        lines = tuple(
            LogLine(0.05 * i, render_line(ctx.at + timedelta(seconds=0.05 * i), line, ctx))
            for i, line in enumerate(self.startup_lines)
        )
        return Fate("run", ready_after=self.ready_after, startup=lines)

    def serving(self, ctx: RunContext) -> set[int]:
        attempt = ctx.attempt
        if attempt is None or ctx.at < attempt.started + timedelta(seconds=self.ready_after):
            return set()
        return set(self.ports)

    def runtime_log(
        self,
        ctx: RunContext,
        start: datetime,
        end: datetime,
        timeline: list[tuple[datetime, Observation]],
    ) -> list[tuple[datetime, str]]:
        return [
            (t, render_line(t, pattern, ctx, n=n))
            for i, (every, pattern) in enumerate(self.periodic)
            for n, t in enumerate(ticks(ctx, f"periodic{i}", start, end, every))
        ]


class Pause(Program):
    """The pause image: sleeps forever, serves nothing."""

    memory_mib = 1
    cpu_millicores = 0

    def start(self, ctx: RunContext) -> Fate:
        return Fate("run", ready_after=0.0)


def generic_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    return GenericServer(entry.config)


def pause_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    return Pause()


def git_clone_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    return GitClone()


class GitClone(Program):
    """The init container that clones DeathStarBench's Lua scripts into an emptyDir."""

    def start(self, ctx: RunContext) -> Fate:
        return Fate(
            "exit",
            after=3.0,
            exit_code=0,
            reason="Completed",
            startup=(
                LogLine(0.1, "Cloning into '/DeathStarBench'..."),
                LogLine(2.9, "Updating files: 100% (3412/3412), done."),
            ),
        )
