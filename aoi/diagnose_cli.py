"""`aoi diagnose`: investigate a cluster (or a `sim` scenario) and print the finding."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import typer

from aoi.errors import fail


def diagnose(
    scenario: str | None = typer.Option(None, help="Serve this sim scenario and diagnose it."),
    kubeconfig: Path | None = typer.Option(None, help="Diagnose the cluster of this kubeconfig."),
    context: str | None = typer.Option(None, help="The read-only context of that kubeconfig."),
    namespace: str | None = typer.Option(None, help="The incident's namespace."),
    prometheus_url: str | None = typer.Option(None, help="Prometheus base URL."),
    jaeger_url: str | None = typer.Option(None, help="Jaeger query base URL."),
    alert: str | None = typer.Option(None, help="The alert text that started it."),
    agent: str = typer.Option("rules", help="rules (no model) or llm."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
    trajectory_out: Path | None = typer.Option(None, help="Append the trajectory (JSON line)."),
) -> None:
    """Investigate with the read-only Probe and print the finding: what is wrong, where,
    the evidence, and the fixes an Executor could run after an approval."""
    from agents.rules import RulesAgent
    from agents.target import ClusterTarget
    from aoi.sim_target import target_for

    if agent != "rules":
        fail(f"agent {agent!r} is not available yet; use --agent rules", 2)
    if (scenario is None) == (kubeconfig is None):
        fail("give either --scenario ID or --kubeconfig PATH", 2)
    with ExitStack() as stack:
        if scenario is not None:
            from aoi.sim_cli import resolve
            from sim.session import start_scenario

            chosen = resolve(scenario)
            running = stack.enter_context(start_scenario(chosen))
            assert running.cluster.kubeconfig is not None
            target = target_for(running, namespace)
        else:
            assert kubeconfig is not None
            if not kubeconfig.is_file():
                fail(f"no kubeconfig at {kubeconfig}", 1)
            if not namespace:
                fail("--namespace is required with --kubeconfig", 2)
            target = ClusterTarget(
                kubeconfig=kubeconfig,
                probe_context=context,
                namespace=namespace,
                prometheus_url=prometheus_url,
                jaeger_url=jaeger_url,
            )
        progress = None if as_json else (lambda text: typer.secho(f"… {text}", err=True))
        trajectory = RulesAgent(target).investigate(alert, progress)
    if trajectory_out is not None:
        with trajectory_out.open("a") as out:
            out.write(trajectory.to_json_line())
    found = trajectory.finding
    assert found is not None
    if as_json:
        document = {**found.model_dump(mode="json"), "trajectory": trajectory.id}
        document |= {"steps": trajectory.steps, "seconds": round(trajectory.seconds, 2)}
        typer.echo(json.dumps(document, indent=2))
        return
    typer.secho(f"\nDetected: {'yes' if found.detected else 'no'}", bold=True)
    if found.detected:
        typer.echo(f"Faulty:     {', '.join(found.faulty_components)}")
        typer.echo(f"Level/type: {found.system_level or '-'} / {found.fault_type or '-'}")
        typer.echo(f"Root cause: {found.root_cause}")
        typer.echo(f"Confidence: {found.confidence:.2f}")
        for item in found.evidence:
            typer.echo(f"  evidence: {item.summary}")
        for action in found.proposed_actions:
            typer.echo(f"  proposed (needs approval): {' '.join(action.command)}")
    typer.echo(f"\n{trajectory.steps} read-only calls in {trajectory.seconds:.1f} s")
