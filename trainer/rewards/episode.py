"""The environment-grounded reward (beyond the AOI paper, which can only guess with a judge):
a completion on a `sim` row is scored by what actually happens on a fresh cluster of that
row's scenario, through the same agents, policy and scorers `aoi eval` uses
(trainer/eval/attempt.py).

- A submit: its submission scored by sim for the row's task. For mitigation, the fixes the
  agent would propose (those the Executor had validated before this point, then the
  submission's own, and none if it detected nothing) are approved by an on-call approver
  and run by the Executor; after MITIGATION_WAIT_S of emulated time, 1.0 only if AIOpsLab's
  oracle and our verification both pass.
- A probe: its instruction's command lines (or, with `probe_llm`, the Probe model's plan
  for it) run as the Probe; 1.0 if all of them ran and one output names a faulty component.
- An executor step: None (the Executor only proposes before a submit; nothing to run).

Slow: a cluster takes about two seconds to start, and every completion gets its own (a
group's identical completions share one). Off by default; enable it for small datasets or
with headroom in the rollout budget."""

from __future__ import annotations

import contextlib
import logging
import re
import shlex
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agents.approval import ApprovalError, approve
from agents.decisions import ObserverDecision, ProbeStep, Submission, SubmitStep
from agents.executor import Executor
from agents.llm import LLMClient, LLMConfig, LLMError
from agents.probe import Probe
from policies import Policy
from sim.scenario import Scenario, ScenarioError, TaskType, find_scenario, load_scenario_file
from sim.scoring import score_analysis, score_detection, score_localization
from sim.session import start_scenario
from trainer.eval.attempt import APPROVER, APPROVER_GROUPS, MITIGATION_WAIT_S
from trainer.rewards.completion import command_lines, parse
from trainer.rewards.labels import RowLabels, rows
from trainer.rewards.safety import refusal
from trainer.sim_target import target_for

log = logging.getLogger(__name__)

PROBE_PROGRAMS = ("kubectl", "metrics", "promql", "traces")  # the Probe's command language


class EpisodeReward:
    """Scores completions by running them on fresh `sim` clusters (see the module's doc).
    Rows without a scenario, or whose scenario is unknown, get None; an unparsable completion
    gets 0. Every cluster is stopped, whatever happens."""

    def __init__(
        self,
        *,
        mitigation_wait_s: float = MITIGATION_WAIT_S,
        probe_llm: LLMConfig | None = None,
        policy: Policy | None = None,
        present: datetime | None = None,
    ) -> None:
        self.__name__ = "episode_reward"  # TRL logs a reward by its callable's name
        self.mitigation_wait_s = mitigation_wait_s
        self.probe_llm = probe_llm
        self.policy = policy
        self.present = present  # None: each cluster's present is the moment it starts

    def __call__(self, completions: Sequence[object], **columns: Any) -> list[float | None]:
        labels = rows(columns, len(completions))
        done: dict[tuple[object, ...], float | None] = {}
        out: list[float | None] = []
        for completion, row in zip(completions, labels, strict=True):
            parsed = parse(completion)
            key = (row.scenario, row.task, row.faulty_components, row.proposals, parsed.text)
            if key not in done:
                done[key] = self.score(parsed.decision, row)
            out.append(done[key])
        return out

    def score(self, decision: ObserverDecision | None, row: RowLabels) -> float | None:
        """One sample's grounded score."""
        if not row.scenario:
            return None
        scenario = _scenario(row.scenario)
        if scenario is None:
            return None
        if decision is None:
            return 0.0
        step = decision.next_action
        try:
            if isinstance(step, SubmitStep):
                return self._submit(scenario, row, step.submission)
            if isinstance(step, ProbeStep):
                return self._probe(scenario, row, step)
        except Exception:
            # A reward must not end a training run; the log says which row broke what.
            log.exception("episode reward failed on scenario %s", scenario.id)
        return None

    def _submit(self, scenario: Scenario, row: RowLabels, submission: Submission) -> float | None:
        if row.task == "detection":
            answer = "Yes" if submission.detected else "No"
            return float(score_detection(scenario, answer).success)
        if row.task == "localization":
            found = list(submission.faulty_components)
            return float(score_localization(scenario, found).success)
        if row.task == "analysis":
            causes = {"system_level": submission.system_level, "fault_type": submission.fault_type}
            return float(score_analysis(scenario, causes).success)
        if row.task != "mitigation" or scenario.mitigation is None:
            return None
        fixes = [*row.proposals, *submission.fixes] if submission.detected else []
        with start_scenario(scenario, present=self._present()) as running:
            target = target_for(running)
            executor = Executor(target, self.policy)
            for argv in _commands(fixes):
                # A fix the policy lets nobody approve is simply not run, as in Slack.
                with contextlib.suppress(ApprovalError):
                    record = approve(argv, APPROVER, APPROVER_GROUPS, "aoi", policy=self.policy)
                    executor.execute(record)
            running.cluster.advance(self.mitigation_wait_s)
            verdict = running.score(_MITIGATION, None)
        return float(bool(verdict.success and verdict.verified))

    def _probe(self, scenario: Scenario, row: RowLabels, step: ProbeStep) -> float | None:
        spellings = {s for c in scenario.labels.faulty_components for s in _spellings(scenario, c)}
        if not spellings:
            return None  # nothing is faulty: no output can name it
        lines = command_lines(step.instruction, PROBE_PROGRAMS)
        if not lines and self.probe_llm is None:
            return None  # a prose instruction needs the Probe's model to become commands
        if any(refusal(line, "probe", self.policy) for line in lines if line.startswith("kubectl")):
            return 0.0  # the Probe would refuse it: no cluster needed to know nothing runs
        with start_scenario(scenario, present=self._present()) as running:
            client = LLMClient(self.probe_llm) if self.probe_llm and not lines else None
            probe = Probe(target_for(running), client, self.policy)
            if not lines:
                try:
                    lines = probe.plan(step.instruction, step.context)
                except LLMError as exc:
                    log.warning("the Probe model failed; no episode score: %s", exc)
                    return None
            calls = probe.run(lines)
        if not calls or not all(call.ran for call in calls):
            return 0.0
        pattern = re.compile(
            "|".join(rf"(?<![a-z0-9-]){re.escape(s)}(?![a-z0-9])" for s in sorted(spellings))
        )
        return float(any(call.ok and pattern.search(call.raw.lower()) for call in calls))

    def _present(self) -> datetime:
        return self.present or datetime.now(UTC)


_MITIGATION: TaskType = "mitigation"


def _scenario(name: str) -> Scenario | None:
    """A bundled scenario by id, or a user's scenario file, as `aoi eval` finds them."""
    try:
        if name.endswith((".yaml", ".yml")):
            return load_scenario_file(Path(name))
        return find_scenario(name)
    except (KeyError, ScenarioError) as exc:
        log.warning("no scenario %s for the episode reward: %s", name, exc)
        return None


def _spellings(scenario: Scenario, component: str) -> list[str]:
    return [s.lower() for s in (component, *scenario.labels.aliases.get(component, []))]


def _commands(lines: list[str]) -> list[list[str]]:
    """Each distinct command line as argv; a line that is not one is skipped (nobody could
    approve it)."""
    out: list[list[str]] = []
    for line in lines:
        try:
            argv = shlex.split(line)
        except ValueError:
            continue
        if argv and argv not in out:
            out.append(argv)
    return out
