"""The Probe runs only policy-allowed reads, once each, scoped to the incident namespace."""

from __future__ import annotations

from typing import Any

from agents.llm import LLMClient, LLMConfig
from agents.probe import Probe
from trainer.sim_target import target_for


def test_reads_run_scoped_refusals_and_repeats_say_why(scenario_cluster: Any) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    probe = Probe(target_for(running), client=None)
    pods, again, secret, shell, odd, metric, trace = (
        probe.run_line("kubectl get pods"),
        *(
            probe.run_line(line)
            for line in (
                "kubectl get pods",
                "kubectl get secret mongodb-admin -o yaml",
                "kubectl get pods; rm -rf /",
                "curl http://example.com",
                "metrics error_rate",
                "traces compose-post-service",
            )
        ),
    )
    assert pods.ok and pods.request[-2:] == ["-n", "test-social-network"]
    assert "user-service" in pods.output
    assert not again.ran and "already ran" in again.reason
    assert not secret.ran and secret.decision == "deny"
    assert not shell.ran and shell.decision == "deny"
    assert not odd.ran and "not a Probe command" in odd.reason
    assert metric.ok and "service=" in metric.output
    assert trace.ok and "traces of compose-post-service" in trace.output
    quoted = probe.run_line("kubectl get pods -l 'app=user-service")
    assert not quoted.ran and "cannot split" in quoted.reason
    assert (
        len(probe.run(["kubectl get svc", "kubectl get ep", "kubectl get cm", "kubectl get pvc"]))
        == 3
    )


def test_the_model_plans_at_most_three_reads(scenario_cluster: Any, vllm_url: str) -> None:
    running, _ = scenario_cluster("k8s_target_port-misconfig-1")
    client = LLMClient(LLMConfig(base_url=vllm_url, seed=5))
    probe = Probe(target_for(running), client)
    lines = probe.plan("Look at the pods and services of user-service.", "callers get refused")
    assert 1 <= len(lines) <= 3 and all(0 < len(line) <= 300 for line in lines)
    calls = probe.run(lines)
    assert len(calls) == len(lines)
    assert all(c.ran or c.reason for c in calls)  # each ran, or says why not
