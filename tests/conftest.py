"""Shared fixtures: running scenarios served over HTTPS, and real kubectl against them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aoi.local_llm import local_model_server
from sim.scenario import find_scenario
from sim.session import RunningScenario, start_scenario
from tests.agents.llm.scripted_server import Script, scripted_server

# A fixed present makes every run of a scenario identical to the second.
PRESENT = datetime(2026, 1, 13, 12, 0, 0, tzinfo=UTC)


@dataclass
class Kubectl:
    """Real kubectl against a served scenario, with a private discovery cache."""

    kubeconfig: Path
    cache_dir: Path
    namespace: str

    def run(
        self, *args: str, writer: bool = False, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = ["kubectl", "--cache-dir", str(self.cache_dir)]
        if writer:
            command += ["--context", "sim-writer"]
        result = subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            timeout=60,
            input=stdin,
            env={**os.environ, "KUBECONFIG": str(self.kubeconfig)},
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    def out(self, *args: str, writer: bool = False) -> str:
        return self.run(*args, writer=writer).stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.out(*args, "-o", "json"))


@pytest.fixture(scope="session", autouse=True)
def _kubectl_available() -> None:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl must be on PATH for the sim tests (it is on our CI machines)")


@pytest.fixture
def scenario_cluster(tmp_path: Path) -> Iterator[Callable[[str], tuple[RunningScenario, Kubectl]]]:
    """Start scenarios by id; each is served, then stopped when the test ends."""
    started: list[RunningScenario] = []

    def start(name: str) -> tuple[RunningScenario, Kubectl]:
        running = start_scenario(
            find_scenario(name), present=PRESENT, kubeconfig=tmp_path / f"{name}.kubeconfig"
        )
        started.append(running)
        assert running.cluster.kubeconfig is not None
        return running, Kubectl(
            running.cluster.kubeconfig, tmp_path / "kube-cache", running.namespace
        )

    yield start
    for running in started:
        running.stop()


@pytest.fixture(scope="module")
def social_network(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningScenario, Kubectl]]:
    """One healthy SocialNetwork shared by read-only tests of a module."""
    tmp = tmp_path_factory.mktemp("social")
    running = start_scenario(
        find_scenario("noop_detection_social_network-1"),
        present=PRESENT,
        kubeconfig=tmp / "kubeconfig",
    )
    assert running.cluster.kubeconfig is not None
    yield running, Kubectl(running.cluster.kubeconfig, tmp / "cache", running.namespace)
    running.stop()


@pytest.fixture(scope="session")
def vllm_url() -> Iterator[str]:
    """One real vLLM server (SmolLM2-135M on CPU) for the whole session, started on first use."""
    with local_model_server() as url:
        yield url


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    """An OpenAI-compatible server that answers from a script (see scripted_server.py)."""
    with scripted_server() as served:
        yield served
