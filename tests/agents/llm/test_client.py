"""The LLM client against a real vLLM server, and against a scripted one for the failures a
real server will not produce on demand."""

from __future__ import annotations

import socket

import pytest

from agents.decisions import ObserverDecision, ProbePlan
from agents.llm import LLMClient, LLMConfig, LLMOutputError, LLMUnavailable
from tests.agents.llm.scripted_server import Script

ASK = [{"role": "user", "content": "The cart pods crash. Which reads would you run?"}]
PLAN = {"commands": ["kubectl get pods"]}


def test_structured_output_is_held_to_the_schema_by_the_server(vllm_url: str) -> None:
    client = LLMClient(LLMConfig(base_url=vllm_url, seed=7))
    assert client.model == "smollm2"  # discovered from /v1/models
    reply = client.structured(ASK, ObserverDecision, max_tokens=600)
    decision = reply.value
    assert decision.next_action.action in ("probe", "executor", "submit")
    assert 0 <= decision.confidence <= 100 and len(decision.summary) <= 300
    usage = client.ledger.calls[-1]
    assert usage.purpose == "ObserverDecision"
    assert usage.prompt_tokens > 10 and usage.completion_tokens > 0
    assert reply.tokens == sum(c.prompt_tokens + c.completion_tokens for c in client.ledger.calls)


def test_a_reply_cut_by_max_tokens_gets_one_repair_turn_then_a_clear_error(vllm_url: str) -> None:
    client = LLMClient(LLMConfig(base_url=vllm_url, seed=7))
    with pytest.raises(LLMOutputError, match="not valid after a repair turn") as caught:
        client.structured(ASK, ObserverDecision, max_tokens=4)
    assert caught.value.raw  # what the model did say is kept for the trajectory
    assert [c.repaired for c in client.ledger.calls] == [False, True]


def test_free_text_and_token_accounting(vllm_url: str) -> None:
    client = LLMClient(LLMConfig(base_url=vllm_url, model="smollm2", seed=7))
    reply = client.text(ASK, max_tokens=12, purpose="compress")
    assert reply.value.strip()
    assert client.ledger.completion_tokens <= 12 and client.ledger.total == reply.tokens


def test_an_invalid_reply_is_repaired_with_the_validation_error(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    script.say(
        '{"commands": []}',
        "Sure! Here it is:\n```json\n" + '{"commands": ["kubectl get pods"]}\n```',
    )
    client = LLMClient(LLMConfig(base_url=url))
    reply = client.structured(ASK, ProbePlan, max_tokens=100)
    assert reply.repaired and reply.value.commands == ["kubectl get pods"]
    repair_turn = script.requests[1]["messages"]
    assert repair_turn[-2] == {"role": "assistant", "content": '{"commands": []}'}
    assert "commands" in repair_turn[-1]["content"] and "at least 1" in repair_turn[-1]["content"]
    assert script.requests[0]["response_format"]["json_schema"]["name"] == "ProbePlan"


def test_rate_limits_and_server_errors_are_retried_with_backoff(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    script.fail(429, **{"Retry-After": "1"})
    script.fail(503)
    script.say(PLAN)
    client = LLMClient(LLMConfig(base_url=url, max_retries=3))
    assert client.structured(ASK, ProbePlan, max_tokens=50).value.commands == ["kubectl get pods"]
    assert len(script.requests) == 3
    assert script.times[1] - script.times[0] >= 0.9  # Retry-After honoured


def test_a_server_that_keeps_failing_is_a_clear_error(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    for _ in range(3):
        script.fail(500)
    client = LLMClient(LLMConfig(base_url=url, max_retries=2))
    with pytest.raises(LLMUnavailable, match="answered HTTP 500"):
        client.text(ASK, max_tokens=5)
    assert len(script.requests) == 3


def test_an_unreachable_server_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the client tries it
    client = LLMClient(LLMConfig(base_url=f"http://127.0.0.1:{port}/v1", max_retries=0))
    with pytest.raises(LLMUnavailable, match="cannot reach the model server"):
        client.text(ASK, max_tokens=5)
