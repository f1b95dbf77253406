"""Stopping the local model server stops its whole process session, not just the leader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aoi.local_llm import _group_members, _stop

# A leader that dies at SIGTERM and a child that, like vLLM's engine busy loading weights,
# takes its time over it (or ignores it).
_CHILD = """
import signal, sys, time
def slow(signum, frame):
    time.sleep(1)
    open({mark!r}, "w").write("stopped on its own")
    sys.exit(0)
signal.signal(signal.SIGTERM, {handler})
print("ready", flush=True)
while True:
    time.sleep(1)
"""
_LEADER = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True)
child.stdout.readline()
print(child.pid, flush=True)
while True:
    __import__("time").sleep(1)
"""


def _session(handler: str, mark: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    child = _CHILD.format(handler=handler, mark=str(mark))
    leader = subprocess.Popen(
        [sys.executable, "-c", _LEADER, child], stdout=subprocess.PIPE, start_new_session=True
    )
    assert leader.stdout is not None
    return leader, int(leader.stdout.readline())


def test_a_child_slower_to_stop_than_the_leader_is_waited_for(tmp_path: Path) -> None:
    mark = tmp_path / "child-stopped"
    leader, child = _session("slow", mark)
    assert set(_group_members(leader.pid)) == {leader.pid, child}
    _stop(leader)
    assert leader.returncode is not None
    assert _group_members(leader.pid) == []
    assert mark.read_text() == "stopped on its own"  # waited for, not killed


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    leader, _ = _session("signal.SIG_IGN")
    _stop(leader, grace=0.5)
    assert _group_members(leader.pid) == []


def test_stopping_a_server_that_already_exited_is_harmless() -> None:
    leader, _ = _session("signal.SIG_DFL")
    _stop(leader)
    _stop(leader)
    assert _group_members(leader.pid) == []
