"""What each kubectl process of `aoi eval` costs (run by hand).

`.venv/bin/python bench/kubectl_calls.py [SPLIT [N]]` (default `aoi-train`, all of it) runs
the split's attempts in this one process, as eval does, and charges each kubectl process its
own CPU (`os.wait4`'s rusage of that child: processes can run several at once, so the
process-wide children's total cannot be split between them). Prints, per kind of command,
how many ran, their CPU in all and each, wall time and output size each. Since 2026-12-04
the rules agent's first look reads through the API client (agents/tools/kube_api.py), so
what is left here is the Executor's: the mitigation's writes and verification reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from trainer.eval.attempt import AgentSpec, AttemptSpec, iter_attempts
from trainer.eval.splits import problems

PRESENT = datetime(2026, 1, 13, 12, 0, 0, tzinfo=UTC)
# (CPU s, wall s, output bytes, command kind) of every kubectl process.
ran: list[tuple[float, float, int, str]] = []
_RUN = subprocess.run


class _Child(subprocess.Popen[str]):
    """Popen that keeps its child's rusage when it reaps it."""

    cpu = 0.0

    def _try_wait(self, wait_flags: int) -> tuple[int, int]:
        pid, status, usage = os.wait4(self.pid, wait_flags)
        if pid == self.pid:
            self.cpu = usage.ru_utime + usage.ru_stime
        return pid, status


def _kind(argv: list[str]) -> str:
    words = [a for a in argv[1:] if not a.startswith(("--kubeconfig", "--context", "--cache"))]
    if words[0] == "logs":
        for flag in ("-l", "--previous"):
            if flag in words:
                return f"logs {flag}"
        return "logs POD"
    if len(words) > 1 and "," in words[1]:
        return f"{words[0]} {words[1].count(',') + 1} kinds"
    return " ".join(words[:2])


def _run(command: list[str], *args: Any, **options: Any) -> subprocess.CompletedProcess[Any]:
    if os.path.basename(command[0]) != "kubectl":
        return _RUN(command, *args, **options)  # only kubectl's are counted
    timeout = options.pop("timeout", None)
    options.pop("check", None)
    options.pop("capture_output", None)
    started = time.monotonic()
    with _Child(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options) as child:
        out, err = child.communicate(timeout=timeout)
    ran.append((child.cpu, time.monotonic() - started, len(out), _kind(command)))
    return subprocess.CompletedProcess(command, child.returncode or 0, out, err)


def main(split: str, limit: int | None) -> None:
    subprocess.run = _run  # type: ignore[assignment]
    folder = tempfile.mkdtemp(prefix="aoi-kubectl-calls-")
    specs = [
        AttemptSpec(p.source, p.task, 0, p.family, p.id, folder, PRESENT)
        for p in problems(split)[:limit]
    ]
    ok = sum(bool(r["success"]) for r in iter_attempts(specs, AgentSpec()))
    total = sum(cpu for cpu, *_ in ran)
    print(f"{split}: {len(specs)} attempts, {ok} succeeded; {len(ran)} kubectl, {total:.1f} s CPU")
    rows: defaultdict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for *costs, kind in ran:
        for i, value in enumerate((1.0, *costs)):
            rows[kind][i] += value
    print(f"{'command':16} {'runs':>5} {'CPU s':>7} {'CPU each':>9} {'wall each':>10} {'KB':>7}")
    for kind, (n, cpu, wall, size) in sorted(rows.items(), key=lambda kv: -kv[1][1]):
        print(
            f"{kind:16} {n:5.0f} {cpu:7.2f} {cpu / n:9.3f} {wall / n:10.3f} {size / n / 1e3:7.1f}"
        )


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "aoi-train",
        int(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
