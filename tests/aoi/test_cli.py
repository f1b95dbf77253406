"""The `aoi` command line: help, JSON contracts, clear errors, serving a scenario."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aoi.cli import app
from tests.agents.llm.scripted_server import Script

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "sim" in result.output and "demo" in result.output


def test_sim_list_json_contract() -> None:
    result = runner.invoke(app, ["sim", "list", "--json"])
    assert result.exit_code == 0
    scenarios = json.loads(result.stdout)
    assert len(scenarios) >= 32
    for entry in scenarios:
        assert {"id", "app", "namespace", "tasks", "labels", "aiopslab_ids"} <= set(entry)
    revoke = next(s for s in scenarios if s["id"] == "revoke_auth_mongodb-1")
    assert revoke["namespace"] == "test-hotel-reservation"
    assert "revoke_auth_mongodb-mitigation-1" in revoke["aiopslab_ids"]


def test_show_accepts_an_aiopslab_problem_id() -> None:
    result = runner.invoke(app, ["sim", "show", "revoke_auth_mongodb-analysis-1"])
    assert result.exit_code == 0
    assert "mongodb_revoke_role" in result.output and "Authentication Issue" in result.output


def test_unknown_scenario_is_a_clear_error() -> None:
    result = runner.invoke(app, ["sim", "show", "no-such-thing"])
    assert result.exit_code == 2
    assert "unknown scenario 'no-such-thing'" in result.output
    assert "Traceback" not in result.output


def test_validate_reports_by_line(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("id: mine\ntitle: t\napp: hotel-reservation\ntasks: [detection]\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: mine\ntitle: t\napp: hotel-reservation\ntasks: [detection]\n"
        "faults:\n  - primitive: scale\n    params: {workload: geo}\n"
    )
    result = runner.invoke(app, ["sim", "validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{good}: ok" in result.output
    assert f"{bad}:6: faults[0]: params.replicas: Field required" in result.output
    assert "Traceback" not in result.output


def test_serve_prints_one_json_line_then_serves(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aoi",
            "sim",
            "serve",
            "--scenario",
            "scale_pod_zero_social_net-1",
            "--json",
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert ready["kubeconfig"] == str(kubeconfig)
        assert ready["prometheus_url"].startswith("http://127.0.0.1:")
        assert ready["jaeger_url"].startswith("http://127.0.0.1:")
        result = subprocess.run(
            ["kubectl", "get", "deploy", "user-service", "--cache-dir", str(tmp_path / "cache")],
            capture_output=True,
            text=True,
            env={**os.environ, "KUBECONFIG": str(kubeconfig)},
            timeout=30,
        )
        assert "0/0" in result.stdout, result.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aoi", "demo"],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "AOI_STATE_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Alertmanager pages #incidents: [FIRING:1] ServiceHighErrorRate" in out
    assert "only lee sees" in out and "not an approver for patch actions" in out
    assert "mitigation scorer: success; AOI's stricter check: verified" in out
    # The thread, as people saw it.
    assert "🔴 Fault detected: user-service" in out
    assert "✅ Approved by @dana · applied · verified" in out
    assert "kept your correction" in out and "Resolved" in out
    trajectory = out.split("trajectory ")[-1].split(":")[0]
    shown = subprocess.run(
        [sys.executable, "-m", "aoi", "trajectories", "show", trajectory],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AOI_STATE_DIR": str(tmp_path)},
    )
    assert shown.returncode == 0, shown.stderr
    assert "correction from U0ONCALL" in shown.stdout and "outcome resolved" in shown.stdout


def test_alert_prints_the_webhook_or_the_slack_message() -> None:
    result = runner.invoke(
        app, ["sim", "alert", "k8s_target_port-misconfig-1", "--format", "slack"]
    )
    assert result.exit_code == 0, result.output
    message = json.loads(result.output)
    assert message["attachments"][0]["title"].startswith("[FIRING:1] ServiceHighErrorRate")
    quiet = runner.invoke(app, ["sim", "alert", "noop_detection_social_network-1"])
    assert quiet.exit_code == 1 and "no alert fires" in quiet.output
    bad = runner.invoke(app, ["sim", "alert", "noop_detection_social_network-1", "--format", "x"])
    assert bad.exit_code == 2 and "unknown format" in bad.output


def test_policy_check_prints_one_decision(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["policy", "check", "--role", "executor", "--", "kubectl", "delete", "ns", "shop"],
    )
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    assert decision["decision"] == "deny" and decision["class"] == "forbidden"
    batch = tmp_path / "commands.txt"
    batch.write_text('kubectl get pods\n# a comment\nkubectl get "pods\nkubectl get secrets\n')
    result = runner.invoke(app, ["policy", "check", "--batch", str(batch)])
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["decision"] for d in lines] == ["allow", "deny", "deny"]
    assert "cannot split" in lines[1]["reason"]
    bad = runner.invoke(app, ["policy", "check", "--role", "admin", "--", "kubectl", "get"])
    assert bad.exit_code == 2 and "unknown role" in bad.output


def test_policy_redact_masks_and_summarises(tmp_path: Path) -> None:
    source = tmp_path / "log.txt"
    source.write_text("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n")
    result = runner.invoke(app, ["policy", "redact", str(source)])
    assert result.exit_code == 0
    assert "[REDACTED:aws_access_key]" in result.stdout and "AKIA" not in result.stdout
    missing = runner.invoke(app, ["policy", "redact", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1 and "cannot read" in missing.output


def test_diagnose_prints_the_finding_as_json(tmp_path: Path) -> None:
    out = tmp_path / "trajectories.jsonl"
    result = runner.invoke(
        app,
        ["diagnose", "--scenario", "scale_pod_zero_social_net-1", "--json",
         "--trajectory-out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    finding = json.loads(result.stdout)
    assert finding["detected"] is True and finding["faulty_components"] == ["user-service"]
    assert finding["proposed_actions"][0]["command"][:2] == ["kubectl", "scale"]
    assert json.loads(out.read_text())["id"] == finding["trajectory"]
    both = runner.invoke(app, ["diagnose", "--scenario", "x", "--kubeconfig", "/k"])
    assert both.exit_code == 2 and "either" in both.output
    llm = runner.invoke(app, ["diagnose", "--scenario", "x", "--agent", "llm"])
    assert llm.exit_code == 2 and "set AOI_LLM_BASE_URL" in llm.output
    odd = runner.invoke(app, ["diagnose", "--scenario", "x", "--agent", "gpt"])
    assert odd.exit_code == 2 and "unknown agent" in odd.output
    bad = runner.invoke(app, ["diagnose", "--scenario", "x"], env={"AOI_AGENT_MAX_ITERATIONS": "0"})
    assert bad.exit_code == 2 and "AOI_AGENT_MAX_ITERATIONS" in bad.output


def test_diagnose_with_the_llm_agent_on_a_model_server(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    submission = {"detected": True, "faulty_components": ["user-service"], "root_cause": "x"}
    script.say(
        {
            "summary": "user-service has no replicas",
            "phase": "ready_to_submit",
            "hypothesis": "user-service was scaled to zero",
            "confidence": 90,
            "next_action": {"action": "submit", "submission": submission},
        }
    )
    env = {"AOI_LLM_BASE_URL": url, "AOI_AGENT_MODEL_COMPRESSOR": "false"}
    result = runner.invoke(
        app, ["diagnose", "--scenario", "scale_pod_zero_social_net-1", "--agent", "llm"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "Faulty:     user-service" in result.stdout and "model tokens" in result.stdout
    assert script.requests[0]["model"] == "scripted"  # discovered from /v1/models
    down = runner.invoke(
        app,
        ["diagnose", "--scenario", "scale_pod_zero_social_net-1", "--agent", "llm"],
        env={"AOI_LLM_BASE_URL": "http://127.0.0.1:9/v1", "AOI_LLM_MAX_RETRIES": "0"},
    )
    assert down.exit_code == 1 and "cannot reach the model server" in down.output


def test_llm_serve_without_the_model_environment_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aoi import local_llm

    monkeypatch.setattr(local_llm, "VENV", tmp_path / "missing")
    result = runner.invoke(app, ["llm", "serve"])
    assert result.exit_code == 1 and "run `make llm` first" in result.output


def test_the_bot_says_which_settings_it_lacks(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOI_")}
    result = subprocess.run(
        [sys.executable, "-m", "aoi", "bot"], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 2
    assert "AOI_SLACK_BOT_TOKEN" in result.stderr and "AOI_APPROVAL_SECRET" in result.stderr
    env |= {
        "AOI_SLACK_BOT_TOKEN": "xoxb-1",
        "AOI_SLACK_SIGNING_SECRET": "s",
        "AOI_APPROVAL_SECRET": "a",
        "AOI_KUBECONFIG": str(tmp_path / "missing"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "aoi", "bot"], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 2 and "no kubeconfig at" in result.stderr
    assert "Traceback" not in result.stderr
