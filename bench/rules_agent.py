"""How the `rules` agent does on the bundled scenarios (run by hand; issue 6 brings the real
harness). `.venv/bin/python bench/rules_agent.py [aiopslab|everyday]` serves each scenario,
investigates it through the Probe's tools only, and scores the finding with sim's AIOpsLab
scorers (detection, localization, analysis). For mitigation scenarios the finding's proposed
fixes are approved (by a policy approver) and run by the Executor (server-side dry run, then
the write), the cluster runs on five and a half minutes, and AIOpsLab's mitigation oracle and
our `verified` judge it. Prints one line per scenario and the totals."""

from __future__ import annotations

import contextlib
import sys
import time
from datetime import UTC, datetime
from typing import Any

from agents.approval import ApprovalError, approve
from agents.executor import Executor
from agents.rules import RulesAgent
from sim.scenario import bundled_scenarios
from sim.session import start_scenario
from trainer.sim_target import target_for


def main(tag: str) -> None:
    totals: dict[str, list[int]] = {
        "detection": [0, 0],
        "localization": [0, 0],
        "analysis": [0, 0],
        "mitigation": [0, 0],
    }
    seconds = []
    for sid, scenario in sorted(bundled_scenarios().items()):
        if tag not in scenario.tags:
            continue
        with start_scenario(scenario, present=datetime(2026, 3, 2, 12, tzinfo=UTC)) as running:
            assert running.cluster.kubeconfig is not None
            target = target_for(running)
            started = time.monotonic()
            found = RulesAgent(target).investigate().finding
            seconds.append(time.monotonic() - started)
            assert found is not None
            submissions: dict[str, Any] = {
                "detection": "Yes" if found.detected else "No",
                "localization": found.faulty_components,
                "analysis": {"system_level": found.system_level, "fault_type": found.fault_type},
            }
            marks = []
            for task, submission in submissions.items():
                if task in scenario.tasks:
                    ok = running.score(task, submission).success  # type: ignore[arg-type]
                    totals[task][0] += ok
                    totals[task][1] += 1
                    marks.append(f"{task[0]}{'+' if ok else '-'}")
            if "mitigation" in scenario.tasks:
                executor = Executor(target)
                for action in found.proposed_actions:
                    # A proposal the policy lets nobody approve is simply not run.
                    with contextlib.suppress(ApprovalError):
                        record = approve(
                            action.command, "U0", {"S0ONCALL"}, "aoi", manifest=action.manifest
                        )
                        executor.execute(record)
                running.cluster.advance(330)
                verdict = running.score("mitigation", None)
                ok = verdict.success and verdict.verified
                totals["mitigation"][0] += ok
                totals["mitigation"][1] += 1
                marks.append(f"m{'+' if ok else '-'}")
        print(f"{sid:54} {' '.join(marks):9} {found.faulty_components}")
    print(f"\n{tag}: " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in totals.items() if b))
    print(f"median investigation {sorted(seconds)[len(seconds) // 2]:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "aiopslab")
