"""One real vLLM server (SmolLM2-135M on CPU) for the whole session, and scripted servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aoi.local_llm import local_model_server
from tests.agents.llm.scripted_server import Script, scripted_server


@pytest.fixture(scope="session")
def vllm_url() -> Iterator[str]:
    with local_model_server() as url:
        yield url


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    with scripted_server() as served:
        yield served
