"""Which of the investigation's tool calls showed a signal's evidence, so a finding can say
what produced it (the thread shows those commands next to the evidence). First the calls
whose output holds an evidence line word for word; otherwise the calls of the kind the
analyzer reads (logs, traces, metrics, or the objects of the surface scan) that mention the
component."""

from __future__ import annotations

import shlex

from agents.models import Signal
from agents.tools.record import ToolCall

TRACES = {"trace_error_edge"}
METRICS = {"cpu_outlier", "cpu_throttling", "cpu_limit_too_low", "cpu_jump", "memory_jump"}
METRICS |= {"load_surge"}
LOGS = {"blamed_dependency", "own_errors", "db_unauthorized", "db_auth_failed"}
LOGS |= {"db_closes_plain_connections", "db_requires_tls", "db_connection_limit"}
MOST = 3  # commands per piece of evidence: enough to re-run, short enough to read


def render(call: ToolCall) -> str:
    """The call as someone would type it again."""
    if call.tool == "kubectl":
        return shlex.join(call.request)
    return f"{call.tool} {shlex.join(call.request)}"


def sources(signal: Signal, calls: list[ToolCall]) -> list[str]:
    ran = [c for c in calls if c.ran and c.raw]
    verbatim = [c for c in ran if any(len(e) >= 16 and e.strip() in c.raw for e in signal.evidence)]
    chosen = verbatim or _by_kind(signal, ran)
    out: list[str] = []
    for call in chosen:
        text = render(call)
        if text not in out:
            out.append(text)
    return out[:MOST]


def _by_kind(signal: Signal, ran: list[ToolCall]) -> list[ToolCall]:
    component = signal.component or ""

    def mentions(call: ToolCall) -> bool:
        return bool(component) and component in call.raw

    if signal.analyzer in TRACES:
        return [c for c in ran if c.tool == "traces"]
    if signal.analyzer in METRICS:
        return [c for c in ran if c.tool == "metrics" and mentions(c)]
    if signal.analyzer in LOGS:
        return [c for c in ran if c.tool == "kubectl" and "logs" in c.request and mentions(c)]
    # Everything else reads the objects of the surface scan (pods, Services, events, ...).
    return [c for c in ran if c.tool == "kubectl" and c.request[1:2] == ["get"] and mentions(c)]
