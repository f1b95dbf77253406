"""The llm agent's loop: the Observer decides from compressed context only, the Probe reads,
the Executor proposes, only the Observer submits; and the whole path against a real model."""

from __future__ import annotations

import json
from typing import Any

from agents.llm import LLMClient, LLMConfig
from agents.llm_agent import Budgets, LLMAgent
from tests.agents.llm.scripted_server import Script
from tests.agents.test_executor_plan import FIX
from trainer.sim_target import target_for


def decision(step: dict[str, Any], summary: str = "s") -> dict[str, Any]:
    return {
        "summary": summary,
        "phase": "point_investigation",
        "hypothesis": "user-service's Service targets the wrong port",
        "confidence": 80,
        "next_action": step,
    }


def test_probe_then_executor_then_submit(
    scenario_cluster: Any, scripted: tuple[str, Script]
) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    url, script = scripted
    script.say(
        decision({"action": "probe", "instruction": "user-service's Service", "context": ""}),
        {"commands": ["kubectl describe service user-service", "kubectl get secret x"]},
        decision({"action": "executor", "instruction": "fix targetPort"}, "svc targets 9999"),
        {"commands": [FIX], "rationale": "the pods listen on 9090"},
        decision(
            {
                "action": "submit",
                "submission": {
                    "detected": True,
                    "faulty_components": ["user-service"],
                    "system_level": "Virtualization",
                    "fault_type": "Misconfiguration",
                    "root_cause": "targetPort 9999, pods on 9090",
                    "fixes": [FIX, "kubectl delete namespace test-social-network"],
                },
            },
            "fix validated",
        ),
    )
    client = LLMClient(LLMConfig(base_url=url))
    budgets = Budgets(max_iterations=5, context_tokens=1500, model_compressor=False)
    trajectory = LLMAgent(target_for(running), client, budgets=budgets).investigate("alert!")
    assert trajectory.agent == "llm" and not trajectory.notes
    first_look, probe, executor, submit = (
        trajectory.iterations[:2],
        *trajectory.iterations[2:],
    )
    assert first_look[-1].signals and first_look[-1].compressed.startswith("Analyzer signals")
    assert [c.request[:3] for c in probe.calls] == [
        ["kubectl", "describe", "service"],
        ["kubectl", "get", "secret"],
    ]
    assert probe.calls[0].ok and probe.calls[1].decision == "deny"
    assert "[refused:" in probe.compressed
    assert executor.calls[0].request[-1] == "--dry-run=server" and executor.calls[0].ok
    assert submit.decision is not None and not submit.calls
    found = trajectory.finding
    assert found is not None and found.faulty_components == ["user-service"]
    assert found.confidence == 0.8 and found.evidence  # evidence from what the tools showed
    assert [a.command[:4] for a in found.proposed_actions] == [
        ["kubectl", "patch", "service", "user-service"]
    ]  # the namespace deletion could never be approved, so it is not proposed
    # The Observer saw compressed context and its own summaries, never raw JSON.
    observer_turns = [r["messages"][1]["content"] for r in script.requests[::2]]
    assert all('"apiVersion"' not in turn for turn in observer_turns)
    assert "1. s\n2. svc targets 9999" in observer_turns[2]
    assert "Fix commands the Executor validated" in observer_turns[2]
    assert trajectory.tokens == 15 * len(script.requests)


def test_two_unusable_replies_leave_the_analyzers_finding(
    scenario_cluster: Any, scripted: tuple[str, Script]
) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    url, script = scripted
    script.say(*["not json"] * 4)
    client = LLMClient(LLMConfig(base_url=url))
    budgets = Budgets(model_compressor=False)
    trajectory = LLMAgent(target_for(running), client, budgets=budgets).investigate()
    assert len(script.requests) == 4  # two decisions, each with its repair turn
    assert any("analyzers' finding stands" in n for n in trajectory.notes)
    assert trajectory.finding is not None and trajectory.finding.faulty_components == [
        "user-service"
    ]


def test_a_real_model_drives_the_loop_end_to_end(scenario_cluster: Any, vllm_url: str) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    client = LLMClient(LLMConfig(base_url=vllm_url, seed=11))
    # SmolLM2 on two CPU cores writes ~10 tokens a second and fills every field it is given
    # room for: the reply budget is what this test's minute or five is made of.
    budgets = Budgets(max_iterations=2, context_tokens=400, reply_tokens=200)
    trajectory = LLMAgent(target_for(running), client, budgets=budgets).investigate("alert")
    again = type(trajectory).from_json_line(trajectory.to_json_line())
    assert again.agent == "llm" and again.finding is not None
    model_steps = again.iterations[2:]
    assert 1 <= len(model_steps) <= 2
    for step in model_steps:  # each decided step is schema-valid, or the note says why not
        assert step.decision is not None or again.notes
        assert step.tokens > 0
    assert again.tokens == client.ledger.total > 0
    assert json.loads(again.to_json_line())["version"] == 1


def test_an_unusable_probe_plan_is_told_to_the_observer(
    scenario_cluster: Any, scripted: tuple[str, Script]
) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    url, script = scripted
    submit = {"action": "submit", "submission": {"detected": False}}
    script.say(decision({"action": "probe", "instruction": "look"}), "nope", "nope")
    script.say(decision(submit))
    budgets = Budgets(model_compressor=False)
    client = LLMClient(LLMConfig(base_url=url))
    trajectory = LLMAgent(target_for(running), client, budgets=budgets).investigate()
    probe_step = trajectory.iterations[2]
    assert not probe_step.calls and "The probe could not act on that" in probe_step.compressed
    assert "The probe could not act" in script.requests[3]["messages"][1]["content"]
    assert trajectory.finding is not None and trajectory.finding.detected is False
