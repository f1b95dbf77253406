"""busybox `sh -c` scripts: the demo's init containers (`until nc -z ...`, `cp`) and the
one-liners people deploy (`echo ...; exit 1`)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sim.world.lifecycle import Fate, LogLine
from sim.world.software.base import Observation, Program, RunContext, ticks
from sim.world.software.catalog import ImageEntry


class BusyBox(Program):
    """`sh -c` scripts: `until nc -z ...` waits, `cp`, `echo`, `exit N`."""

    memory_mib = 1
    cpu_millicores = 0

    def __init__(self, script: str) -> None:
        self.script = script
        wait = re.search(r"nc -z(?: -v)?(?: -w\s*\d+)? (\S+) (\d+)", script)
        self.wait_for = (wait.group(1), int(wait.group(2))) if wait else None
        echo = re.search(r"echo ([^;]+);", script)
        self.waiting_message = echo.group(1).strip() if echo else ""
        self.copies = re.findall(r"cp (\S+) (\S+)", script)
        code = re.search(r"exit (\d+)\s*;?\s*$", script)
        self.exit_code = int(code.group(1)) if code else 0
        self.echoes = [m.strip("'\"") for m in re.findall(r"echo ('[^']*'|\"[^\"]*\")", script)]
        # `while true; do echo '...'; sleep N; done`: a chatty process that never exits.
        loop = re.search(r"while true; do (.*?)sleep (\d+(?:\.\d+)?); done", script)
        self.loop_every = float(loop.group(2)) if loop else None

    def start(self, ctx: RunContext) -> Fate:
        if self.loop_every is not None:
            return Fate("run", ready_after=0.0)
        if self.wait_for is None:
            return self._done(ctx, 0.1)
        return Fate("run", ready_after=None, wake_after=(0.2,))

    def _done(self, ctx: RunContext, after: float) -> Fate:
        lines = []
        for source, target in self.copies:
            content = ctx.file(source)
            if content is None:
                return Fate(
                    "exit",
                    after=after,
                    exit_code=1,
                    reason="Error",
                    startup=(
                        LogLine(0.05, f"cp: can't stat '{source}': No such file or directory"),
                    ),
                )
            ctx.world.mounts.write(ctx.pod, ctx.container, target, content)
            if "cat " in self.script:
                lines += [LogLine(0.05, text) for text in content.splitlines()]
        if self.wait_for is None:
            lines += [LogLine(0.05, text) for text in self.echoes]
        if self.exit_code:
            return Fate(
                "exit", after=after, exit_code=self.exit_code, reason="Error", startup=tuple(lines)
            )
        return Fate("exit", after=after, exit_code=0, reason="Completed", startup=tuple(lines))

    def poll(self, ctx: RunContext) -> Fate | None:
        attempt = ctx.attempt
        if attempt is None or self.wait_for is None:
            return None
        if ctx.connect(*self.wait_for).ok:
            attempt.lines.append((ctx.at, f"{self.wait_for[0]} ({self.wait_for[1]}) open"))
            return self._done(ctx, (ctx.at - attempt.started).total_seconds() + 0.01)
        return None

    def runtime_log(
        self,
        ctx: RunContext,
        start: datetime,
        end: datetime,
        timeline: list[tuple[datetime, Observation]],
    ) -> list[tuple[datetime, str]]:
        out: list[tuple[datetime, str]] = []
        if self.loop_every is not None:
            return [
                (t, line)
                for t in ticks(ctx, "loop", start, end, self.loop_every)
                for line in self.echoes
            ]
        if self.wait_for is None:
            return out
        t = start
        while t < end:
            host, port = self.wait_for
            out.append((t, f"nc: {host} ({port}): Connection refused"))
            out.append((t, self.waiting_message))
            t += timedelta(seconds=2)
        return out


def busybox_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    return BusyBox(" ".join(command + args))
