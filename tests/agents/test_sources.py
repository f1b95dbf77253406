"""A finding's evidence names the commands that showed it: the call whose output holds the
evidence word for word, else the calls of the kind the analyzer reads that mention the
component; never a call that did not run."""

from __future__ import annotations

from agents.models import Signal
from agents.sources import sources
from agents.tools.record import ToolCall


def _call(tool: str, request: list[str], raw: str, ran: bool = True) -> ToolCall:
    return ToolCall(tool=tool, request=request, role="probe", decision="allow", ran=ran, raw=raw)


SURFACE = _call("kubectl", ["kubectl", "get", "pods,services", "-o", "json"], '{"geo": 1}')
LOGS = _call("kubectl", ["kubectl", "logs", "geo-1", "--tail=60"], "FTL not authorized on geo-db")
TRACES = _call("traces", ["search", "15m"], "50 recent traces of search, 43 with errors")
METRICS = _call("metrics", ["cpu", "ns"], "pod=geo-1  0.9")
NEVER = _call("kubectl", ["kubectl", "logs", "x"], "FTL not authorized on geo-db", ran=False)
CALLS = [SURFACE, LOGS, TRACES, METRICS, NEVER]


def test_a_verbatim_line_names_its_call() -> None:
    signal = Signal(analyzer="db_unauthorized", score=0.9, component="mongodb-geo",
                    summary="...", evidence=["FTL not authorized on geo-db"])  # fmt: skip
    assert sources(signal, CALLS) == ["kubectl logs geo-1 --tail=60"]


def test_otherwise_the_calls_of_the_analyzers_kind() -> None:
    traced = Signal(analyzer="trace_error_edge", score=0.7, component="geo", summary="...",
                    evidence=["computed"])  # fmt: skip
    assert sources(traced, CALLS) == ["traces search 15m"]
    cpu = Signal(analyzer="cpu_outlier", score=0.7, component="geo", summary="...")
    assert sources(cpu, CALLS) == ["metrics cpu ns"]
    objects = Signal(analyzer="crash_loop", score=0.9, component="geo", summary="...")
    assert sources(objects, CALLS) == ["kubectl get pods,services -o json"]
    unseen = Signal(analyzer="crash_loop", score=0.9, component="nowhere", summary="...")
    assert sources(unseen, CALLS) == []
