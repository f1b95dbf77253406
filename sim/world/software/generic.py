"""Software whose only job in the emulation is to run: generic servers, pause, busybox."""

from __future__ import annotations

from sim.world.lifecycle import Fate
from sim.world.software.base import Program, RunContext
from sim.world.software.catalog import ImageEntry


class GenericServer(Program):
    """A server that listens on its configured ports and logs its startup lines."""

    def __init__(self, entry: ImageEntry) -> None:
        self.ports = tuple(int(p) for p in entry.config.get("ports", ()))
        self.startup_lines = tuple(str(line) for line in entry.config.get("startup", ()))
        self.memory_mib = int(entry.config.get("memory_mib", 32))
        self.cpu_millicores = int(entry.config.get("cpu_millicores", 3))

    def start(self, ctx: RunContext) -> Fate:
        from sim.world.lifecycle import LogLine

        return Fate("run", ready_after=1.0,
                    startup=tuple(LogLine(0.2 * i, text)
                                  for i, text in enumerate(self.startup_lines)))


class Pause(Program):
    """The pause image: sleeps forever, serves nothing."""

    memory_mib = 1
    cpu_millicores = 0

    def start(self, ctx: RunContext) -> Fate:
        return Fate("run", ready_after=0.0)


def generic_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    return GenericServer(entry)


def pause_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    return Pause()
