"""Deterministic analyzers over what the Probe saw: each turns raw tool output into ranked
signals with evidence, the fault they imply and the fix they suggest. With no model they
drive the diagnosis alone (the `rules` agent); with one, they are the Observer's hints."""

from __future__ import annotations

from agents.analyzers.observations import Observations
from agents.analyzers.workloads import workload_signals
from agents.models import Signal


def analyze(obs: Observations) -> list[Signal]:
    """Every signal the observations support, strongest first."""
    from agents.analyzers.connections import connection_signals
    from agents.analyzers.evidence import log_signals, telemetry_signals
    from agents.analyzers.flags import flag_signals
    from agents.analyzers.probes import probe_signals
    from agents.analyzers.resources import throttling_signals

    logs = log_signals(obs)  # first: it records which services callers blame
    signals = workload_signals(obs) + logs + telemetry_signals(obs) + flag_signals(obs)
    signals += probe_signals(obs) + throttling_signals(obs) + connection_signals(obs)
    return sorted(signals, key=lambda s: -s.score)


__all__ = ["Observations", "analyze"]
