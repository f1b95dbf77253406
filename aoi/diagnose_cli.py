"""`aoi diagnose`: investigate a cluster (or a `sim` scenario) and print the finding."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import typer

from aoi.agent_settings import budgets, llm_config
from aoi.errors import fail
from aoi.settings import Settings, load_settings

if TYPE_CHECKING:  # the agents (and openai) load only when a diagnosis runs
    from agents.models import Trajectory
    from agents.target import ClusterTarget


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
    from agents.llm import LLMUnavailable
    from agents.target import ClusterTarget
    from trainer.sim_target import target_for

    if agent not in ("rules", "llm"):
        fail(f"unknown agent {agent!r}: use rules (no model) or llm", 2)
    settings = load_settings()
    if agent == "llm":
        llm_config(settings)  # fails clearly before any cluster starts
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
        try:
            trajectory = investigator(agent, target, settings).investigate(alert, progress)
        except LLMUnavailable as exc:
            fail(f"the model server failed: {exc}", 1)
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
    for note in trajectory.notes:
        typer.secho(f"note: {note}", err=True)
    tokens = f", {trajectory.tokens} model tokens" if trajectory.tokens else ""
    typer.echo(f"\n{trajectory.steps} read-only calls in {trajectory.seconds:.1f} s{tokens}")


def investigator(agent: str, target: ClusterTarget, settings: Settings) -> Investigator:
    """The rules agent, or the llm agent on the configured model server and budgets."""
    from agents.rules import RulesAgent

    if agent == "rules":
        return RulesAgent(target)
    from agents.llm import LLMClient
    from agents.llm_agent import LLMAgent

    return LLMAgent(target, LLMClient(llm_config(settings)), budgets=budgets(settings))


class Investigator(Protocol):
    def investigate(
        self, alert: str | None = None, progress: Callable[[str], None] | None = None
    ) -> Trajectory: ...
