"""Start-up parsing of environment variables, declared per image as data (`env_checks`):
a value the program cannot parse (a port that is not a number, a ratio that is not a float)
crashes it on start with the runtime's own words, exactly once per start."""

from __future__ import annotations

import re

from sim.world.lifecycle import Fate, LogLine
from sim.world.software.base import RunContext
from sim.world.software.catalog import ImageEntry


def env_crash(entry: ImageEntry | None, ctx: RunContext) -> Fate | None:
    """The crash a bad environment value causes at start, or None when all parse."""
    for check in (entry.config.get("env_checks") if entry else None) or []:
        value = ctx.env(str(check["name"]))
        if value is None or re.fullmatch(str(check["pattern"]), value):
            continue
        lines = tuple(
            LogLine(0.05, str(line).replace("{value}", value).replace("{name}", check["name"]))
            for line in check.get("log") or []
        )
        return Fate(
            "exit",
            after=0.1,
            exit_code=int(check.get("exit_code", 1)),
            reason="Error",
            startup=lines,
        )
    return None
