"""stress-ng: the load generator people run on shared nodes (a batch job, a benchmark left
running). It serves nothing; it wants `--cpu` cores and `--vm-bytes` of memory."""

from __future__ import annotations

from sim.world.lifecycle import Fate, LogLine
from sim.world.scheduling import parse_memory
from sim.world.software.base import Observation, Program, RunContext
from sim.world.software.catalog import ImageEntry

MIB = 2**20


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _binary_bytes(text: str) -> int:
    """stress-ng's sizes (512M, 2G) are powers of 1024."""
    text = text.strip().upper().removesuffix("B")
    if text[-1:] in ("K", "M", "G", "T"):
        text += "i"
    return parse_memory(text)


class StressNg(Program):
    def __init__(self, args: list[str]) -> None:
        self.cpus = int(_option(args, "--cpu") or 0)
        load = float(_option(args, "--cpu-load") or 100)
        self.cpu_millicores = int(self.cpus * 10 * load)
        vm_bytes = _option(args, "--vm-bytes")
        self.vms = int(_option(args, "--vm") or (1 if vm_bytes else 0))
        self.memory_mib = 4 + (_binary_bytes(vm_bytes) // MIB if vm_bytes else 0)

    def start(self, ctx: RunContext) -> Fate:
        hogs = ", ".join(
            part
            for part in (
                f"{self.cpus} cpu" if self.cpus else "",
                f"{self.vms} vm" if self.vms else "",
            )
            if part
        )
        return Fate(
            "run",
            ready_after=0.0,
            startup=(
                LogLine(0.0, f"stress-ng: info:  [1] dispatching hogs: {hogs}"),
                LogLine(
                    0.01,
                    "stress-ng: info:  [1] note: /proc/sys/kernel/sched_autogroup_enabled is 1",
                ),
            ),
        )

    def usage(self, ctx: RunContext, seen: Observation) -> tuple[int, int]:
        return self.cpu_millicores, self.memory_mib


def stress_factory(entry: ImageEntry, command: list[str], args: list[str]) -> Program:
    return StressNg([*command[1:], *args] if command[:1] == ["stress-ng"] else [*command, *args])
