"""The kernel's OOM killer under a container's memory limit: a process whose working set
exceeds the cgroup limit is SIGKILLed (exit 137, reason OOMKilled), at start while it loads,
or later as a leak grows past the limit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sim.world.lifecycle import Fate, LogLine
from sim.world.scheduling import parse_memory
from sim.world.software.base import Program, RunContext

MIB = 2**20
LOAD_SECONDS = 1.5  # how long a process takes to allocate its working set at start


def memory_limit_mib(spec: dict[str, Any]) -> float:
    limit = ((spec.get("resources") or {}).get("limits") or {}).get("memory")
    return parse_memory(limit) / MIB if limit else 0.0


def _killed(after: float, startup: tuple[LogLine, ...] = ()) -> Fate:
    return Fate(
        "exit",
        after=after,
        exit_code=137,
        reason="OOMKilled",
        startup=tuple(line for line in startup if line.offset < after),
    )


def oom_on_start(program: Program, ctx: RunContext, spec: dict[str, Any], fate: Fate) -> Fate:
    """The fate of a starting container whose working set does not fit its limit."""
    limit = memory_limit_mib(spec)
    if not limit or program.usage(ctx, {})[1] <= limit:
        return fate
    return _killed(LOAD_SECONDS, fate.startup)


def oom_while_running(program: Program, ctx: RunContext, spec: dict[str, Any]) -> Fate | None:
    """A running container whose memory has grown past its limit is killed now."""
    limit = memory_limit_mib(spec)
    attempt = ctx.attempt
    if not limit or attempt is None:
        return None
    if program.usage(ctx, ctx.world.observation(ctx))[1] <= limit:
        return None
    after = (ctx.at - attempt.started).total_seconds()
    return replace(_killed(after), startup=attempt.fate.startup)
