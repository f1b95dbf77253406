"""PromQL evaluation over the MetricStore. Parsing is promql-parser's (the Rust parser
Prometheus-compatible tools use); this module only evaluates its syntax tree, following the
semantics of Prometheus's engine for what SREs and our agents write."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import promql_parser as pp

from sim.telemetry.history import SCRAPE_SECONDS, scrape_times
from sim.telemetry.metrics import MetricStore, Series

Labels = dict[str, str]
LOOKBACK = timedelta(minutes=5)


class PromQLError(ValueError):
    """A query Prometheus would refuse: `kind` is its errorType (bad_data, execution)."""

    def __init__(self, message: str, kind: str = "bad_data") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Scalar:
    value: float


@dataclass
class String:
    value: str


@dataclass
class Vector:
    samples: list[tuple[Labels, float]]


@dataclass
class Matrix:
    series: list[tuple[Labels, list[tuple[datetime, float]]]]


Value = Scalar | String | Vector | Matrix


def parse(query: str) -> Any:
    try:
        return pp.parse(query)
    except Exception as exc:  # the parser raises its own error types
        raise PromQLError(f"1:1: parse error: {exc}") from None


def _key(labels: Labels) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _drop_name(labels: Labels) -> Labels:
    return {k: v for k, v in labels.items() if k != "__name__"}


def _matches(labels: Labels, matchers: Any) -> bool:
    for m in matchers.matchers:
        value = labels.get(m.name, "")
        op = str(m.op).rsplit(".", 1)[-1]
        if op == "Equal" and value != m.value:
            return False
        if op == "NotEqual" and value == m.value:
            return False
        if op in ("Re", "NotRe"):
            hit = re.fullmatch(m.value, value) is not None
            if hit != (op == "Re"):
                return False
    return True


class Evaluator:
    """Evaluates PromQL against the store for one request (an instant or range query, or one
    round of alert rules): the cluster does not move meanwhile, so each series is sampled
    once per scrape time however many overlapping windows and steps read it."""

    def __init__(self, store: MetricStore) -> None:
        self.store = store
        self._series: dict[str | None, list[Series]] = {}
        self._samples: dict[tuple[int, datetime], float | None] = {}

    def _sample(self, series: Series, t: datetime) -> float | None:
        memo = (id(series), t)
        if memo not in self._samples:
            self._samples[memo] = series.sample(t)
        return self._samples[memo]

    # -- entry points -------------------------------------------------------------------------

    def instant(self, query: str, t: datetime) -> Value:
        return self.eval(parse(query), t)

    def range(self, query: str, start: datetime, end: datetime, step: timedelta) -> Matrix:
        expr = parse(query)
        points: dict[tuple[tuple[str, str], ...], tuple[Labels, list[tuple[datetime, float]]]]
        points = {}
        t = start
        while t <= end:
            value = self.eval(expr, t)
            if isinstance(value, Scalar):
                value = Vector([({}, value.value)])
            if not isinstance(value, Vector):
                raise PromQLError(
                    'invalid expression type "range vector" for range query, '
                    "must be Scalar or instant Vector"
                )
            for labels, v in value.samples:
                points.setdefault(_key(labels), (labels, []))[1].append((t, v))
            t += step
        return Matrix(list(points.values()))

    # -- evaluation ---------------------------------------------------------------------------

    def eval(self, expr: Any, t: datetime) -> Value:
        kind = type(expr).__name__
        handler: Callable[[Any, datetime], Value] | None = getattr(self, f"_{kind}", None)
        if handler is None:
            raise PromQLError(f"unsupported expression {kind}", "execution")
        return handler(expr, t)

    def _NumberLiteral(self, expr: Any, t: datetime) -> Value:
        return Scalar(float(expr.val))

    def _StringLiteral(self, expr: Any, t: datetime) -> Value:
        return String(str(expr.val))

    def _ParenExpr(self, expr: Any, t: datetime) -> Value:
        return self.eval(expr.expr, t)

    def _UnaryExpr(self, expr: Any, t: datetime) -> Value:
        value = self.eval(expr.expr, t)
        if isinstance(value, Scalar):
            return Scalar(-value.value)
        if isinstance(value, Vector):
            return Vector([(_drop_name(labels), -v) for labels, v in value.samples])
        raise PromQLError(
            "unary expression only allowed on expressions of type scalar or instant vector"
        )

    def select(self, selector: Any) -> list[Series]:
        """The series a vector selector names (any time)."""
        name = selector.name
        if name not in self._series:
            self._series[name] = self.store.series(name)
        return [s for s in self._series[name] if _matches(s.all_labels(), selector.matchers)]

    @staticmethod
    def _shift(selector: Any, t: datetime) -> datetime:
        offset = getattr(selector, "offset", None)
        return t - offset if offset else t

    def _VectorSelector(self, expr: Any, t: datetime) -> Value:
        at = self._shift(expr, t)
        times = scrape_times(at - timedelta(seconds=SCRAPE_SECONDS), at)
        out = []
        for series in self.select(expr):
            value = self._sample(series, times[-1]) if times else None
            if value is not None:
                out.append((series.all_labels(), value))
        return Vector(out)

    def _MatrixSelector(self, expr: Any, t: datetime) -> Value:
        at = self._shift(expr.vector_selector, t)
        times = scrape_times(at - expr.range, at)
        out = []
        for series in self.select(expr.vector_selector):
            points = [(ts, v) for ts in times if (v := self._sample(series, ts)) is not None]
            if points:
                out.append((series.all_labels(), points))
        return Matrix(out)

    def _SubqueryExpr(self, expr: Any, t: datetime) -> Value:
        step = expr.step or timedelta(minutes=1)
        end = t - (expr.offset or timedelta())
        start = end - expr.range
        points: dict[tuple[tuple[str, str], ...], tuple[Labels, list[tuple[datetime, float]]]]
        points = {}
        epoch = int(start.timestamp() // step.total_seconds()) + 1
        ts = datetime.fromtimestamp(epoch * step.total_seconds(), tz=t.tzinfo)
        while ts <= end:
            value = self.eval(expr.expr, ts)
            if isinstance(value, Vector):
                for labels, v in value.samples:
                    points.setdefault(_key(labels), (labels, []))[1].append((ts, v))
            ts += step
        return Matrix(list(points.values()))

    def _Call(self, expr: Any, t: datetime) -> Value:
        from sim.telemetry.functions import call

        return call(self, expr.func.name, list(expr.args), t)

    def _AggregateExpr(self, expr: Any, t: datetime) -> Value:
        from sim.telemetry.operators import aggregate

        return aggregate(self, expr, t)

    def _BinaryExpr(self, expr: Any, t: datetime) -> Value:
        from sim.telemetry.operators import binary

        return binary(self, expr, t)


def finite(value: float) -> str:
    """Prometheus's JSON spelling of a sample value."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return (
        repr(float(value)).removesuffix(".0")
        if value == int(value) and abs(value) < 1e15
        else repr(float(value))
    )
