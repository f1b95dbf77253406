"""`aoi sim`: list, show, validate and serve the emulated cloud's scenarios."""

from __future__ import annotations

import json
import signal
import textwrap
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import typer

from aoi.errors import fail
from sim.apps import load_app
from sim.faults import FaultError
from sim.scenario import Scenario, ScenarioError, bundled_scenarios, find_scenario
from sim.scenario import load_scenario_file as load_file

app = typer.Typer(
    help="The emulated cloud: AIOpsLab apps and faults behind a real Kubernetes API.",
    no_args_is_help=True,
)


def resolve(name: str) -> Scenario:
    """A scenario by id, AIOpsLab problem id, or path to a YAML file."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        try:
            return load_file(Path(name))
        except ScenarioError as exc:
            fail(f"invalid scenario:\n{exc}", 1)
    try:
        return find_scenario(name)
    except KeyError:
        fail(f"unknown scenario {name!r}; `aoi sim list` shows them")


def summary(scenario: Scenario) -> dict[str, Any]:
    return {
        "id": scenario.id,
        "title": scenario.title,
        "app": scenario.app,
        "namespace": load_app(scenario.app).namespace,
        "tasks": list(scenario.tasks),
        "labels": scenario.labels.model_dump(),
        "aiopslab_ids": list(scenario.aiopslab_ids),
        "tags": list(scenario.tags),
    }


@app.command("list")
def list_(
    as_json: bool = typer.Option(False, "--json", help="One JSON array on stdout."),
    app_id: str | None = typer.Option(None, "--app", help="Only this app's scenarios."),
) -> None:
    """List the bundled scenarios."""
    scenarios = [s for s in bundled_scenarios().values() if app_id in (None, s.app)]
    if as_json:
        typer.echo(json.dumps([summary(s) for s in scenarios], indent=2))
        return
    width = max((len(s.id) for s in scenarios), default=10)
    typer.echo(f"{'ID':<{width}}  {'APP':<17}  {'TASKS':<7}  TITLE")
    for s in scenarios:
        tasks = "".join(t[0].upper() for t in s.tasks)
        typer.echo(f"{s.id:<{width}}  {s.app:<17}  {tasks:<7}  {s.title}")


@app.command()
def show(
    name: str = typer.Argument(..., help="Scenario id, AIOpsLab problem id or YAML path."),
    as_json: bool = typer.Option(False, "--json", help="The whole scenario as JSON."),
) -> None:
    """Show a scenario: its story, its faults, its answer key and its tasks."""
    scenario = resolve(name)
    if as_json:
        typer.echo(json.dumps({**summary(scenario), **scenario.model_dump()}, indent=2))
        return
    from sim.faults import PRIMITIVES

    labels = scenario.labels
    story = textwrap.fill(
        scenario.description, width=96, initial_indent="  story:      ", subsequent_indent=" " * 14
    )
    lines = [
        f"{scenario.id}: {scenario.title}",
        f"  app:        {scenario.app} (namespace {load_app(scenario.app).namespace})",
        story if scenario.description else "",
        f"  timeline:   deployed {scenario.history.deployed_minutes_ago:g} min ago; the fault "
        f"shows from {scenario.history.fault_minutes_ago:g} min ago",
        "  faults:",
    ]
    for fault in sorted(
        scenario.faults,
        key=lambda f: -(f.at_minutes_ago or scenario.history.fault_minutes_ago),
    ):
        when = fault.at_minutes_ago or scenario.history.fault_minutes_ago
        entry = PRIMITIVES.entries.get(fault.primitive)
        lines.append(f"    - {when:g} min ago: {fault.primitive} {json.dumps(fault.params)}")
        if entry is not None and entry.summary:
            lines.append(
                textwrap.fill(
                    entry.summary, width=96, initial_indent=" " * 8, subsequent_indent=" " * 8
                )
            )
    lines += [
        "  answer key:",
        f"    detected:           {'Yes' if labels.detected else 'No'}",
        f"    faulty components:  {', '.join(labels.faulty_components) or '-'}",
        f"    system level:       {labels.system_level or '-'}",
        f"    fault type:         {labels.fault_type or '-'}",
    ]
    if labels.root_cause:
        lines.append(f"    root cause:         {labels.root_cause}")
    lines.append("  tasks:")
    lines += [f"    - {t:<13} {scenario.task_id(t)}" for t in scenario.tasks]
    if scenario.mitigation is not None:
        lines.append(
            f"  mitigation: AIOpsLab sweep {scenario.mitigation.sweep}; checks: "
            + ", ".join(
                c.check for c in scenario.mitigation.aiopslab_checks + scenario.mitigation.verify
            )
            or "-"
        )
    typer.echo("\n".join(line for line in lines if line))


@app.command()
def validate(files: list[Path] = typer.Argument(..., help="Scenario YAML files.")) -> None:
    """Validate scenario files; errors are reported by line."""
    bad = 0
    for path in files:
        try:
            scenario = load_file(path)
        except ScenarioError as exc:
            bad += 1
            typer.echo(str(exc), err=True)
            continue
        typer.echo(f"{path}: ok ({scenario.id}, {len(scenario.tasks)} tasks)")
    if bad:
        raise typer.Exit(1)


@app.command()
def alert(
    name: str = typer.Argument(..., help="Scenario id, AIOpsLab problem id or YAML path."),
    fmt: str = typer.Option(
        "webhook", "--format", help="webhook: Alertmanager's webhook v4 body; slack: its message."
    ),
    channel: str = typer.Option("#incidents", help="Channel named in the Slack message."),
) -> None:
    """Print the alert the scenario's fault would fire, as Alertmanager would send it."""
    from sim.session import start_scenario
    from sim.telemetry.alertmanager import slack

    if fmt not in ("webhook", "slack"):
        fail(f"unknown format {fmt!r}; use webhook or slack", 2)
    scenario = resolve(name)
    try:
        running = start_scenario(scenario, serve=False)
    except FaultError as exc:
        fail(f"cannot inject the scenario's faults: {exc}", 1)
    try:
        payload = running.alert_payload()
    finally:
        running.stop()
    if payload is None:
        fail(f"no alert fires in {scenario.id}: its symptoms trip none of the alerting rules", 1)
    typer.echo(json.dumps(payload if fmt == "webhook" else slack(payload, channel), indent=2))


@app.command()
def serve(
    scenario_name: str = typer.Option(
        ..., "--scenario", "-s", help="Scenario id, AIOpsLab problem id or YAML."
    ),
    port: int = typer.Option(0, help="API server port (0 picks a free one)."),
    kubeconfig: Path | None = typer.Option(None, help="Where to write the kubeconfig."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line once ready."),
) -> None:
    """Start a scenario's cluster and serve it until interrupted."""
    from aoi.settings import load_settings
    from sim.session import start_scenario

    scenario = resolve(scenario_name)
    if kubeconfig is None:
        kubeconfig = load_settings().state_dir / "sim" / f"{scenario.id}.kubeconfig"
    try:
        running = start_scenario(scenario, follow_wall=True, port=port, kubeconfig=kubeconfig)
    except OSError as exc:
        fail(f"cannot serve on port {port}: {exc.strerror}", 1)
    except FaultError as exc:
        fail(f"cannot inject the scenario's faults: {exc}", 1)
    ready = {
        "kubeconfig": str(running.cluster.kubeconfig),
        "api_url": running.cluster.url,
        "prometheus_url": running.cluster.prometheus_url,
        "jaeger_url": running.cluster.jaeger_url,
    }
    if as_json:
        typer.echo(
            json.dumps({k: ready[k] for k in ("kubeconfig", "prometheus_url", "jaeger_url")}),
            nl=True,
        )
    else:
        typer.echo(f"scenario:   {scenario.id} ({scenario.title})")
        typer.echo(f"kubeconfig: {ready['kubeconfig']}")
        typer.echo(f"api:        {ready['api_url']}")
        typer.echo(f"prometheus: {ready['prometheus_url']}")
        typer.echo(f"jaeger:     {ready['jaeger_url']}")
        typer.echo(f"try:        KUBECONFIG={ready['kubeconfig']} kubectl get pods -A")
        typer.echo("serving until interrupted (Ctrl-C)")
    wait_for_signal()
    running.stop()


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    stop.wait()
