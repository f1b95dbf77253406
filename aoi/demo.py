"""`aoi demo`: the main job on its embedded defaults.

A SocialNetwork whose user-service Service points at the wrong port pages the channel; its
metrics and traces show the failing calls; AOI's rules agent diagnoses it through the
read-only Probe and proposes the fix; an on-call approval lets the Executor dry-run and apply
it with the writer identity; the AIOpsLab mitigation oracle judges the result. Later issues
grow it into the whole Slack incident thread.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from typing import Any

import typer

from aoi.errors import fail

DEFAULT_SCENARIO = "k8s_target_port-misconfig-1"


def _kubectl(kubeconfig: str, args: list[str]) -> str:
    result = subprocess.run(
        ["kubectl", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KUBECONFIG": kubeconfig},
    )
    return (result.stdout + result.stderr).rstrip()


def _step(kubeconfig: str, title: str, args: list[str]) -> None:
    typer.secho(f"\n# {title}", bold=True)
    typer.echo("$ kubectl " + " ".join(args))
    typer.echo(_kubectl(kubeconfig, args))


ERROR_RATIO = (
    "sum by (http_route) (rate(http_server_request_duration_seconds_count"
    '{service="nginx-web-server", http_response_status_code=~"5.."}[2m])) / sum by (http_route) '
    '(rate(http_server_request_duration_seconds_count{service="nginx-web-server"}[2m]))'
)


def _get(url: str, path: str, **params: str) -> Any:
    with urllib.request.urlopen(f"{url}{path}?{urllib.parse.urlencode(params)}") as response:
        return json.loads(response.read())


def _telemetry(running: Any) -> None:
    """The page, the numbers and the trace an on-call engineer would look at first."""
    from sim.telemetry.alertmanager import slack

    payload = running.alert_payload()
    if payload is not None:
        typer.secho("\n# The page Alertmanager posts to the incident channel", bold=True)
        typer.echo(slack(payload)["attachments"][0]["title"])
    prometheus, jaeger = running.cluster.prometheus_url, running.cluster.jaeger_url
    typer.secho("\n# Prometheus: share of failing requests per route", bold=True)
    typer.echo(f"$ curl {prometheus}/api/v1/query --data-urlencode 'query={ERROR_RATIO}'")
    for row in _get(prometheus, "/api/v1/query", query=ERROR_RATIO)["data"]["result"]:
        typer.echo(f"  {row['metric']['http_route']:<36} {float(row['value'][1]):.0%}")
    typer.secho("\n# Jaeger: one failing trace, span by span", bold=True)
    found = _get(
        jaeger, "/api/traces", service="compose-post-service", tags='{"error":"true"}', limit="1"
    )["data"]
    for trace in found[:1]:
        for span in trace["spans"]:
            tags = {t["key"]: t["value"] for t in span["tags"]}
            service = trace["processes"][span["processID"]]["serviceName"]
            mark = "ERROR" if tags.get("error") else "ok   "
            typer.echo(
                f"  {mark} {service:<22} {tags.get('span.kind', ''):<7} {span['operationName']}"
            )


def demo(scenario: str = typer.Option(DEFAULT_SCENARIO, help="Scenario to serve.")) -> None:
    """Serve a faulty emulated cluster; AOI's rules agent diagnoses it through the read-only
    Probe; an on-call approval lets the Executor apply the fix; the fix is scored."""
    from agents.approval import approve
    from agents.executor import Executor
    from agents.rules import RulesAgent
    from aoi.sim_cli import resolve
    from sim.session import start_scenario
    from trainer.sim_target import target_for

    if shutil.which("kubectl") is None:
        fail("kubectl is not on PATH; install kubectl 1.32 to run the demo", 1)
    chosen = resolve(scenario)
    started = time.monotonic()
    with start_scenario(chosen) as running:
        kubeconfig = str(running.cluster.kubeconfig)
        typer.secho(f"Scenario {chosen.id}: {chosen.title}", bold=True)
        typer.echo(
            f"Emulated cluster ready in {time.monotonic() - started:.2f} s at "
            f"{running.cluster.url} (KUBECONFIG={kubeconfig})"
        )
        _step(kubeconfig, "Every pod in the cluster (read-only identity)", ["get", "pods", "-A"])
        if chosen.id == DEFAULT_SCENARIO:
            _telemetry(running)
        target = target_for(running)
        typer.secho("\n# AOI's rules agent investigates through the read-only Probe", bold=True)
        trajectory = RulesAgent(target).investigate(
            chosen.title, lambda text: typer.echo(f"  ... {text}")
        )
        found = trajectory.finding
        assert found is not None
        typer.echo(f"  {trajectory.steps} policy-checked read calls, {trajectory.seconds:.1f} s")
        typer.echo(
            f"  faulty: {', '.join(found.faulty_components) or '-'}; "
            f"{found.system_level or '-'} / {found.fault_type or '-'}"
        )
        typer.echo(f"  root cause: {found.root_cause}")
        if not found.proposed_actions:
            typer.echo("  no fix to propose")
            return
        fix = found.proposed_actions[0].command
        typer.echo(f"  proposed fix: {' '.join(fix)}")
        _step(kubeconfig, "The Probe's identity cannot apply it", fix[1:])
        typer.secho("\n# On-call approves; the Executor dry-runs, then applies", bold=True)
        record = approve(fix, "U0ONCALL", {"S0ONCALL"}, requester="aoi")
        typer.echo(
            f"  approved by {record.approver} ({record.action_class}), "
            f"expires {record.expires:%H:%M:%S}"
        )
        executor = Executor(target)
        done = executor.verify(executor.execute(record), timeout_s=60)
        typer.echo(f"  dry run: {done.dry_run.strip()}")
        typer.echo(f"  applied: {done.output.strip()}")
        typer.echo(f"  verified by reads: {done.verified} ({done.verification})")
        score = running.score("mitigation", None) if "mitigation" in chosen.tasks else None
        if score is None:
            return
        typer.secho(
            "\n# Mitigation, judged by the AIOpsLab oracle and by our verification", bold=True
        )
        typer.echo(f"AIOpsLab success: {score.success}; verified: {score.verified}")
        for check in score.checks:
            typer.echo(f"  {'ok  ' if check.passed else 'FAIL'} {check.name}: {check.detail}")
