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


MODEL_SERVER_GROUP = "model-server"
# Tests that start a vLLM of their own rather than share the session's.
OWN_MODEL_SERVER = {"tests/aoi/test_llm_cli.py"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`: `--dist loadgroup`), every test that runs a model
    server goes to one worker: the session's vLLM then starts once, not once per worker, and
    model-server tests never run side by side (a server takes both cores while it answers)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "vllm_url" in fixtures or item.nodeid.split("::")[0] in OWN_MODEL_SERVER:
            item.add_marker(pytest.mark.xdist_group(MODEL_SERVER_GROUP))


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
def _vllm_server() -> Iterator[str]:
    with local_model_server() as url:
        yield url


@pytest.fixture
def vllm_url(request: pytest.FixtureRequest) -> str:
    """One real vLLM server (SmolLM2-135M on CPU) for the whole session, started on first use."""
    if getattr(request.config.option, "loadgroup", False):  # an xdist worker of `make test`
        # xdist marks a grouped test's id; unmarked (a pytest that xdist cannot group),
        # every worker would start a server of its own.
        assert request.node.nodeid.endswith(f"@{MODEL_SERVER_GROUP}"), (
            f"{request.node.nodeid} is not in xdist group {MODEL_SERVER_GROUP!r}"
        )
    return str(request.getfixturevalue("_vllm_server"))


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    """An OpenAI-compatible server that answers from a script (see scripted_server.py)."""
    with scripted_server() as served:
        yield served
