"""Chaos Mesh experiments left in the app's namespace: each is a fault by construction, and
its kind says what breaks. A DNSChaos makes the resolver of the pods it selects answer
"no such host" for the names it matches: the pods' operating system cannot find their
dependencies, though the dependencies are up. Ending the experiment (deleting it, the policy's
`end_chaos` class) heals."""

from __future__ import annotations

from typing import Any

from agents.analyzers.observations import Observations
from agents.decisions import FaultType, SystemLevel
from agents.models import Signal

CHAOS_KINDS = ("podchaos", "networkchaos", "dnschaos")
# What each kind breaks, as (system level, fault type); kinds not named here are reported
# without a type rather than guessed.
BREAKS: dict[str, tuple[SystemLevel, FaultType]] = {
    "dnschaos": ("Operating System", "Network/Storage Issue")
}


def chaos_signals(obs: Observations) -> list[Signal]:
    out = []
    for kind in CHAOS_KINDS:
        for experiment in obs.items(kind):
            spec: dict[str, Any] = experiment.get("spec") or {}
            labels = (spec.get("selector") or {}).get("labelSelectors") or {}
            target = next(iter(labels.values()), None)
            action = spec.get("action", kind)
            name = experiment["metadata"]["name"]
            level, fault = BREAKS.get(kind) or (None, None)
            patterns = spec.get("patterns") or []
            what = f"; lookups of {', '.join(patterns)} fail" if patterns else ""
            out.append(
                Signal(
                    analyzer="chaos_experiment",
                    score=0.95,
                    component=target,
                    summary=f"{experiment.get('kind', kind)} {name} ({action}) targets "
                    f"{labels}{what}",
                    evidence=[f"{kind}/{name}"],
                    system_level=level,
                    fault_type=fault,
                    fixes=[
                        obs.fix(
                            "delete",
                            kind,
                            name,
                            why=f"end the {experiment.get('kind', kind)} experiment: "
                            "the fault it injects stops, nothing else changes",
                        )
                    ],
                )
            )
    return out
