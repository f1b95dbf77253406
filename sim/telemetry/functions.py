"""PromQL functions, after Prometheus's engine (promql/functions.go): extrapolated
rate() and increase(), the *_over_time family, math, clamp, histogram_quantile, labels."""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.telemetry.promql import (
    Labels,
    Matrix,
    PromQLError,
    Scalar,
    Value,
    Vector,
    _drop_name,
    _key,
)

if TYPE_CHECKING:
    from sim.telemetry.promql import Evaluator

Points = list[tuple[datetime, float]]


# -- range functions ----------------------------------------------------------------------------


def _extrapolated(
    points: Points, start: datetime, end: datetime, *, counter: bool, per_second: bool
) -> float | None:
    """Prometheus's extrapolatedRate: the increase over the window, extrapolated to its
    edges (but not beyond half an average interval), per second for rate()."""
    if len(points) < 2:
        return None
    result = points[-1][1] - points[0][1]
    if counter:
        for (_, previous), (_, current) in itertools.pairwise(points):
            if current < previous:
                result += previous
    first, last = points[0][0], points[-1][0]
    sampled = (last - first).total_seconds()
    average = sampled / (len(points) - 1)
    to_start = (first - start).total_seconds()
    to_end = (end - last).total_seconds()
    threshold = average * 1.1
    if counter and result > 0 and points[0][1] >= 0:
        zero_at = sampled * (points[0][1] / result)
        to_start = min(to_start, zero_at)
    extended = sampled
    extended += to_start if to_start < threshold else average / 2
    extended += to_end if to_end < threshold else average / 2
    result *= extended / sampled
    if per_second:
        result /= (end - start).total_seconds()
    return result


def _irate(points: Points, counter: bool) -> float | None:
    if len(points) < 2:
        return None
    (t1, v1), (t2, v2) = points[-2], points[-1]
    delta = v2 - v1 if not (counter and v2 < v1) else v2
    return delta / (t2 - t1).total_seconds()


_OVER_TIME: dict[str, Callable[[list[float]], float]] = {
    "avg_over_time": statistics.fmean,
    "min_over_time": min,
    "max_over_time": max,
    "sum_over_time": math.fsum,
    "count_over_time": lambda v: float(len(v)),
    "last_over_time": lambda v: v[-1],
    "stddev_over_time": lambda v: statistics.pstdev(v) if len(v) > 1 else 0.0,
    "stdvar_over_time": lambda v: statistics.pvariance(v) if len(v) > 1 else 0.0,
    "present_over_time": lambda v: 1.0,
}


def _range_call(ev: Evaluator, name: str, arg: Any, t: datetime) -> Vector:
    matrix = ev.eval(arg, t)
    if not isinstance(matrix, Matrix):
        raise PromQLError(
            f'expected type range vector in call to function "{name}", got instant vector'
        )
    window = getattr(arg, "range", None)
    # The window ends where the selector's `offset` put it, not at the evaluation time.
    selector = getattr(arg, "vector_selector", None)
    end = t - (getattr(selector, "offset", None) or timedelta())
    start = end - window if window is not None else end
    out = []
    for labels, points in matrix.series:
        values = [v for _, v in points]
        if name in ("rate", "increase", "delta"):
            value = _extrapolated(
                points, start, end, counter=name != "delta", per_second=name == "rate"
            )
        elif name in ("irate", "idelta"):
            value = _irate(points, counter=name == "irate")
            if value is not None and name == "idelta":
                value *= (points[-1][0] - points[-2][0]).total_seconds()
        elif name == "changes":
            value = float(sum(1 for a, b in itertools.pairwise(values) if a != b))
        elif name == "resets":
            value = float(sum(1 for a, b in itertools.pairwise(values) if b < a))
        elif name == "deriv":
            value = _slope(points)
        else:
            value = _OVER_TIME[name](values)
        if value is not None:
            out.append((_drop_name(labels), value))
    return Vector(out)


def _slope(points: Points) -> float | None:
    if len(points) < 2:
        return None
    xs = [p[0].timestamp() for p in points]
    ys = [p[1] for p in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    denominator = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / denominator


# -- instant functions --------------------------------------------------------------------------

_MATH: dict[str, Callable[[float], float]] = {
    "abs": abs,
    "ceil": math.ceil,
    "floor": math.floor,
    "exp": math.exp,
    "sqrt": lambda v: math.sqrt(v) if v >= 0 else math.nan,
    "ln": lambda v: math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan),
    "log2": lambda v: math.log2(v) if v > 0 else (-math.inf if v == 0 else math.nan),
    "log10": lambda v: math.log10(v) if v > 0 else (-math.inf if v == 0 else math.nan),
}


def _vector(ev: Evaluator, arg: Any, t: datetime, name: str) -> Vector:
    value = ev.eval(arg, t)
    if not isinstance(value, Vector):
        raise PromQLError(f'expected type instant vector in call to function "{name}"')
    return value


def number(ev: Evaluator, arg: Any, t: datetime) -> float:
    value = ev.eval(arg, t)
    if isinstance(value, Scalar):
        return value.value
    raise PromQLError("expected a scalar argument")


def _quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """histogram_quantile over cumulative (upper bound, count) buckets, linear within one."""
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    buckets = sorted(buckets)
    if not buckets or buckets[-1][0] != math.inf:
        return math.nan
    total = buckets[-1][1]
    if total == 0:
        return math.nan
    rank = q * total
    for i, (bound, count) in enumerate(buckets):
        if count >= rank:
            if bound == math.inf:
                return buckets[i - 1][0] if i > 0 else math.nan
            lower, below = buckets[i - 1] if i > 0 else (0.0, 0.0)
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
    return math.nan


def call(ev: Evaluator, name: str, args: list[Any], t: datetime) -> Value:
    if (
        name in ("rate", "irate", "increase", "delta", "idelta", "changes", "resets", "deriv")
        or name in _OVER_TIME
    ):
        return _range_call(ev, name, args[0], t)
    if name in _MATH:
        return Vector(
            [
                (_drop_name(labels), float(_MATH[name](v)))
                for labels, v in _vector(ev, args[0], t, name).samples
            ]
        )
    if name == "round":
        to = number(ev, args[1], t) if len(args) > 1 else 1.0
        return Vector(
            [
                (_drop_name(labels), math.floor(v / to + 0.5) * to)
                for labels, v in _vector(ev, args[0], t, name).samples
            ]
        )
    if name in ("clamp_min", "clamp_max", "clamp"):
        low = number(ev, args[1], t) if name != "clamp_max" else -math.inf
        high = number(ev, args[-1], t) if name != "clamp_min" else math.inf
        return Vector(
            [
                (_drop_name(labels), min(max(v, low), high))
                for labels, v in _vector(ev, args[0], t, name).samples
            ]
        )
    if name == "histogram_quantile":
        q = number(ev, args[0], t)
        groups: dict[tuple[tuple[str, str], ...], tuple[Labels, list[tuple[float, float]]]] = {}
        for labels, v in _vector(ev, args[1], t, name).samples:
            rest = {k: val for k, val in _drop_name(labels).items() if k != "le"}
            bound = float(labels.get("le", "nan").replace("+Inf", "inf"))
            groups.setdefault(_key(rest), (rest, []))[1].append((bound, v))
        return Vector([(labels, _quantile(q, buckets)) for labels, buckets in groups.values()])
    if name == "scalar":
        samples = _vector(ev, args[0], t, name).samples
        return Scalar(samples[0][1] if len(samples) == 1 else math.nan)
    if name == "vector":
        return Vector([({}, number(ev, args[0], t))])
    if name == "time":
        return Scalar(t.timestamp())
    if name == "timestamp":
        return Vector(
            [
                (_drop_name(labels), t.timestamp())
                for labels, _ in _vector(ev, args[0], t, name).samples
            ]
        )
    if name in ("sort", "sort_desc"):
        samples = sorted(
            _vector(ev, args[0], t, name).samples, key=lambda s: s[1], reverse=name == "sort_desc"
        )
        return Vector(samples)
    if name == "absent":
        return Vector([] if _vector(ev, args[0], t, name).samples else [({}, 1.0)])
    if name == "label_replace":
        vector = _vector(ev, args[0], t, name)
        dst, repl, src, regex = (str(getattr(a, "val", "")) for a in args[1:5])
        out = []
        for labels, v in vector.samples:
            match = re.fullmatch(regex, labels.get(src, ""))
            new = dict(labels)
            if match:
                value = match.expand(re.sub(r"\$(\d+)", r"\\\1", repl))
                if value:
                    new[dst] = value
                else:
                    new.pop(dst, None)
            out.append((new, v))
        return Vector(out)
    raise PromQLError(f'function "{name}" is not supported by the emulated Prometheus', "execution")
