"""`aoi llm serve` stopped by a signal (a service manager's SIGTERM, a closed terminal's
SIGHUP) stops the whole vLLM it started, engine processes included."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, process group, command line) of every live process we can read
    (a zombie has exited: it waits for a parent that reaps, which a container's PID 1 may
    never be)."""
    found: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":
            continue
        found[int(entry.name)] = (int(fields[1]), int(fields[2]), cmdline)
    return found


def _vllm_child(parent: int, limit: float) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for pid, (ppid, _, cmdline) in _processes().items():
            if ppid == parent and "vllm.entrypoints.openai.api_server" in cmdline:
                return pid
        time.sleep(0.1)
    raise AssertionError("aoi llm serve started no vLLM")


@pytest.mark.parametrize(
    ("stop", "when"), [(signal.SIGTERM, "serving"), (signal.SIGHUP, "starting")]
)
def test_a_signal_stops_vllm_and_its_engine(stop: signal.Signals, when: str) -> None:
    serve = subprocess.Popen(
        [sys.executable, "-m", "aoi", "llm", "serve", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        server = _vllm_child(serve.pid, 60)
        if when == "serving":  # the engine and its workers run by now: what was left behind
            assert serve.stdout is not None
            assert json.loads(serve.stdout.readline())["base_url"].startswith("http://")
            engine = [pid for pid, (_, group, _) in _processes().items() if group == server]
            assert len(engine) > 1
        serve.send_signal(stop)
        _, err = serve.communicate(timeout=60)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert serve.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
    # vLLM runs in a session of its own (its pid is the group): nothing of it is left.
    left = [pid for pid, (_, group, _) in _processes().items() if group == server]
    assert left == [], f"vLLM processes left running: {left}"
    assert server not in _processes()
