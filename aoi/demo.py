"""`aoi demo`: the main job on its embedded defaults.

For now it shows the emulated cloud at work: a SocialNetwork whose user-service Service points
at the wrong port pages the channel; its metrics and traces show the failing calls; it is
investigated with real kubectl as the read-only identity, fixed with the writer identity, and
judged by the AIOpsLab mitigation oracle. Later issues grow it into the
whole Slack incident thread.
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
FIX = [
    "--context",
    "sim-writer",
    "patch",
    "service",
    "user-service",
    "--type",
    "json",
    "-p",
    '[{"op":"replace","path":"/spec/ports/0/targetPort","value":9090}]',
]


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
    """Serve a faulty emulated cluster, investigate it with kubectl, fix it, score the fix."""
    from aoi.sim_cli import resolve
    from sim.session import start_scenario

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
        if chosen.id != DEFAULT_SCENARIO:
            return
        ns = running.namespace
        _telemetry(running)
        _step(
            kubeconfig,
            "The callers cannot reach user-service",
            ["logs", "-n", ns, "deploy/compose-post-service", "--tail", "4"],
        )
        _step(
            kubeconfig,
            "Its endpoints point at port 9999",
            ["get", "endpoints", "user-service", "-n", ns],
        )
        _step(
            kubeconfig,
            "The read-only identity cannot change anything",
            [
                "patch",
                "service",
                "user-service",
                "-n",
                ns,
                "--type",
                "json",
                "-p",
                '[{"op":"replace","path":"/spec/ports/0/targetPort","value":9090}]',
            ],
        )
        _step(
            kubeconfig,
            "The writer identity dry-runs, then applies the fix",
            [*FIX, "-n", ns, "--dry-run=server"],
        )
        typer.echo(_kubectl(kubeconfig, [*FIX, "-n", ns]))
        score = running.score("mitigation", None)
        typer.secho(
            "\n# Mitigation, judged by the AIOpsLab oracle and by our verification", bold=True
        )
        typer.echo(f"AIOpsLab success: {score.success}; verified: {score.verified}")
        for check in score.checks:
            typer.echo(f"  {'ok  ' if check.passed else 'FAIL'} {check.name}: {check.detail}")
