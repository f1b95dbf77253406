"""One attempt at one problem: a fresh emulated cluster, the agent's investigation through the
Probe's tools only, the finding submitted to sim's AIOpsLab scorer; for mitigation, the
finding's fixes approved by an on-call approver and run by the Executor, then the oracle and
our verification after five and a half simulated minutes. Runs in a worker process."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.approval import ApprovalError, approve
from agents.executor import Executor
from agents.models import Finding, Trajectory
from agents.rules import RulesAgent
from agents.target import ClusterTarget
from sim.scenario import find_scenario, load_scenario_file
from sim.session import RunningScenario, start_scenario
from trainer.sim_target import target_for

if TYPE_CHECKING:  # the model client (and openai, a second to import) only for --agent llm
    from agents.llm import LLMConfig
    from agents.llm_agent import Budgets

MITIGATION_WAIT_S = 330  # AIOpsLab checks a few minutes after the fix
APPROVER, APPROVER_GROUPS = "U0EVAL", {"S0ONCALL"}  # an on-call engineer, per the policy


@dataclass(frozen=True)
class AgentSpec:
    """What to build in the worker (agents hold sockets and clients; specs pickle)."""

    agent: str = "rules"
    llm: LLMConfig | None = None
    budgets: Budgets | None = None


@dataclass(frozen=True)
class AttemptSpec:
    scenario: str  # a bundled id, or a path to the user's file
    task: str
    attempt: int
    family: str
    task_id: str
    trajectory_dir: str
    present: datetime | None = None  # the clusters' present; None: now


def run_attempt(spec: AttemptSpec, agent: AgentSpec, warm: bool = False) -> dict[str, Any]:
    """The result record of one attempt; never raises for the agent's own failures. `warm`:
    a later attempt in this process starts the same scenario (sim.session keeps its
    snapshot with the metrics' past summed, which only a second start gains from)."""
    scenario = (
        load_scenario_file(Path(spec.scenario))
        if spec.scenario.endswith((".yaml", ".yml"))
        else find_scenario(spec.scenario)
    )
    started = time.monotonic()
    record: dict[str, Any] = {
        "scenario": scenario.id,
        "task": spec.task,
        "task_id": spec.task_id,
        "family": spec.family,
        "attempt": spec.attempt,
        "success": False,
        "submission": None,
        "steps": 0,
        "tokens": 0,
        "seconds": 0.0,
        "trajectory": None,
        "error": None,
    }
    present = spec.present or datetime.now(UTC)
    with start_scenario(scenario, present=present, warm=warm) as running:
        target = target_for(running)
        trajectory = _investigate(agent, target, running)
        if isinstance(trajectory, str):
            record["error"] = trajectory
            record["seconds"] = round(time.monotonic() - started, 3)
            return record
        found = trajectory.finding or Finding(detected=False)
        submission = _submission(spec.task, found)
        if spec.task == "mitigation":
            _apply_fixes(target, found, trajectory)
            running.cluster.advance(MITIGATION_WAIT_S)
            verdict = running.score("mitigation", None)
            record["success"] = bool(verdict.success and verdict.verified)
            record["oracle"], record["verified"] = verdict.success, verdict.verified
        else:
            record["success"] = bool(running.score(spec.task, submission).success)  # type: ignore[arg-type]
    record["submission"] = submission
    record["steps"], record["tokens"] = trajectory.steps, trajectory.tokens
    record["seconds"] = round(time.monotonic() - started, 3)
    path = Path(spec.trajectory_dir) / f"{scenario.id}.{spec.task}.{spec.attempt}.jsonl"
    path.write_text(trajectory.to_json_line())
    record["trajectory"] = str(path)
    return record


def run_attempts(specs: list[AttemptSpec], agent: AgentSpec) -> list[dict[str, Any]]:
    return list(iter_attempts(specs, agent))


def iter_attempts(specs: list[AttemptSpec], agent: AgentSpec) -> Iterator[dict[str, Any]]:
    """Records of `specs` run in order in this process; an attempt whose scenario the next
    one starts again is warmed (eval lists a scenario's tasks one after another)."""
    for spec, following in zip(specs, [*specs[1:], None], strict=True):
        again = following is not None and following.scenario == spec.scenario
        yield run_attempt(spec, agent, warm=again)


def _investigate(
    agent: AgentSpec, target: ClusterTarget, running: RunningScenario
) -> Trajectory | str:
    """The agent's trajectory, or what went wrong on the model server's side."""
    if agent.agent != "llm":
        return RulesAgent(target).investigate(None)
    from agents.llm import LLMClient, LLMError
    from agents.llm_agent import LLMAgent

    assert agent.llm is not None
    try:
        llm = LLMAgent(target, LLMClient(agent.llm), budgets=agent.budgets)
        # Evaluating the alert rules costs seconds; only a model reads the alert's words.
        return llm.investigate(_alert_text(running))
    except LLMError as exc:
        return f"the model server failed: {exc}"


def _submission(task: str, found: Finding) -> Any:
    if task == "detection":
        return "Yes" if found.detected else "No"
    if task == "localization":
        return list(found.faulty_components)
    if task == "analysis":
        return {"system_level": found.system_level, "fault_type": found.fault_type}
    return [" ".join(a.command) for a in found.proposed_actions]


def _apply_fixes(target: ClusterTarget, found: Finding, trajectory: Trajectory) -> None:
    executor = Executor(target)
    for action in found.proposed_actions:
        # A proposal the policy lets nobody approve is simply not run, as in Slack.
        with contextlib.suppress(ApprovalError):
            record = approve(
                action.command,
                APPROVER,
                APPROVER_GROUPS,
                "aoi",
                manifest=action.manifest,
                runbook=action.runbook,
            )
            trajectory.executions.append(executor.execute(record))


def _alert_text(running: RunningScenario) -> str:
    payload = running.alert_payload() or {}
    alerts = payload.get("alerts") or []
    if not alerts:
        return ""
    first = alerts[0]
    name = (first.get("labels") or {}).get("alertname", "alert")
    return f"{name}: {(first.get('annotations') or {}).get('summary', '')}".strip()
