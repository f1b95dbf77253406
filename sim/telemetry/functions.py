"""PromQL functions, aggregations and binary operators, after Prometheus's engine
(promql/functions.go, engine.go): extrapolated rate(), vector matching, histogram_quantile."""

from __future__ import annotations

import itertools
import math
import operator
import re
import statistics
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.telemetry.promql import (
    Labels,
    Matrix,
    PromQLError,
    Scalar,
    String,
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
    start = t - window if window is not None else t
    out = []
    for labels, points in matrix.series:
        values = [v for _, v in points]
        if name in ("rate", "increase", "delta"):
            value = _extrapolated(
                points, start, t, counter=name != "delta", per_second=name == "rate"
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


def _number(ev: Evaluator, arg: Any, t: datetime) -> float:
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
        to = _number(ev, args[1], t) if len(args) > 1 else 1.0
        return Vector(
            [
                (_drop_name(labels), math.floor(v / to + 0.5) * to)
                for labels, v in _vector(ev, args[0], t, name).samples
            ]
        )
    if name in ("clamp_min", "clamp_max", "clamp"):
        low = _number(ev, args[1], t) if name != "clamp_max" else -math.inf
        high = _number(ev, args[-1], t) if name != "clamp_min" else math.inf
        return Vector(
            [
                (_drop_name(labels), min(max(v, low), high))
                for labels, v in _vector(ev, args[0], t, name).samples
            ]
        )
    if name == "histogram_quantile":
        q = _number(ev, args[0], t)
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
        return Vector([({}, _number(ev, args[0], t))])
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


# -- aggregations -------------------------------------------------------------------------------


def aggregate(ev: Evaluator, expr: Any, t: datetime) -> Value:
    op = str(expr.op)
    vector = ev.eval(expr.expr, t)
    if not isinstance(vector, Vector):
        raise PromQLError(f'expected type instant vector in aggregation expression "{op}"')
    modifier = expr.modifier
    names = list(modifier.labels) if modifier is not None else []
    without = modifier is not None and "Without" in str(modifier.type)

    def group_of(labels: Labels) -> Labels:
        if without:
            return {k: v for k, v in labels.items() if k not in names and k != "__name__"}
        return {k: v for k, v in labels.items() if k in names}

    groups: dict[tuple[tuple[str, str], ...], tuple[Labels, list[tuple[Labels, float]]]] = {}
    for labels, value in vector.samples:
        key_labels = group_of(labels)
        groups.setdefault(_key(key_labels), (key_labels, []))[1].append((labels, value))
    if op in ("topk", "bottomk"):
        k = int(_number(ev, expr.param, t))
        out: list[tuple[Labels, float]] = []
        for _, members in groups.values():
            ranked = sorted(members, key=lambda m: m[1], reverse=op == "topk")
            out += ranked[:k]
        return Vector(out)
    if op == "quantile":
        q = _number(ev, expr.param, t)
        return Vector(
            [
                (labels, _quantile_values(q, [v for _, v in members]))
                for labels, members in groups.values()
            ]
        )
    reducers: dict[str, Callable[[list[float]], float]] = {
        "sum": math.fsum,
        "avg": statistics.fmean,
        "min": min,
        "max": max,
        "count": lambda v: float(len(v)),
        "group": lambda v: 1.0,
        "stddev": lambda v: statistics.pstdev(v) if len(v) > 1 else 0.0,
        "stdvar": lambda v: statistics.pvariance(v) if len(v) > 1 else 0.0,
    }
    if op not in reducers:
        raise PromQLError(
            f'aggregation "{op}" is not supported by the emulated Prometheus', "execution"
        )
    return Vector(
        [(labels, reducers[op]([v for _, v in members])) for labels, members in groups.values()]
    )


def _quantile_values(q: float, values: list[float]) -> float:
    values = sorted(values)
    if not values:
        return math.nan
    rank = q * (len(values) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return values[low] + (values[high] - values[low]) * (rank - low)


# -- binary operators ---------------------------------------------------------------------------

_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": lambda a, b: a / b if b else (math.nan if a == 0 else math.copysign(math.inf, a)),
    "%": lambda a, b: math.fmod(a, b) if b else math.nan,
    "^": lambda a, b: a**b,
    "atan2": math.atan2,
}
_COMPARISON: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def binary(ev: Evaluator, expr: Any, t: datetime) -> Value:
    op = str(expr.op)
    lhs, rhs = ev.eval(expr.lhs, t), ev.eval(expr.rhs, t)
    modifier = expr.modifier
    returns_bool = bool(modifier is not None and modifier.return_bool)
    if isinstance(lhs, String) or isinstance(rhs, String):
        raise PromQLError("binary expressions are not allowed on strings")
    if op in ("and", "or", "unless"):
        if not isinstance(lhs, Vector) or not isinstance(rhs, Vector):
            raise PromQLError(f'set operator "{op}" not allowed in binary scalar expression')
        return _set_operation(op, lhs, rhs, modifier)

    def apply(a: float, b: float) -> tuple[bool, float]:
        if op in _ARITHMETIC:
            return True, _ARITHMETIC[op](a, b)
        keep = _COMPARISON[op](a, b)
        if returns_bool:
            return True, float(keep)
        return keep, a

    if isinstance(lhs, Scalar) and isinstance(rhs, Scalar):
        return Scalar(apply(lhs.value, rhs.value)[1])
    if isinstance(lhs, (Matrix,)) or isinstance(rhs, (Matrix,)):
        raise PromQLError("binary expression must contain only scalar and instant vector types")
    drop = op in _ARITHMETIC or returns_bool
    if isinstance(rhs, Scalar) and isinstance(lhs, Vector):
        out = []
        for labels, v in lhs.samples:
            keep, value = apply(v, rhs.value)
            if keep:
                out.append((_drop_name(labels) if drop else labels, value))
        return Vector(out)
    if isinstance(lhs, Scalar) and isinstance(rhs, Vector):
        out = []
        for labels, v in rhs.samples:
            keep, value = apply(lhs.value, v)
            if keep:
                out.append(
                    (
                        _drop_name(labels) if drop else labels,
                        value if op in _ARITHMETIC or returns_bool else v,
                    )
                )
        return Vector(out)
    assert isinstance(lhs, Vector) and isinstance(rhs, Vector)
    return _vector_match(lhs, rhs, modifier, apply, drop)


def _signature(labels: Labels, modifier: Any) -> tuple[tuple[str, str], ...]:
    matching = modifier.matching if modifier is not None else None
    plain = _drop_name(labels)
    if matching is None:
        return _key(plain)
    names = set(matching.labels)
    if "Include" in str(matching.type):
        return _key({k: v for k, v in plain.items() if k in names})
    return _key({k: v for k, v in plain.items() if k not in names})


def _vector_match(
    lhs: Vector,
    rhs: Vector,
    modifier: Any,
    apply: Callable[[float, float], tuple[bool, float]],
    drop: bool,
) -> Vector:
    card = str(modifier.card) if modifier is not None else "OneToOne"
    include = (
        list(modifier.group_labels or [])
        if modifier is not None and hasattr(modifier, "group_labels")
        else []
    )
    one_side, many_side, flipped = rhs, lhs, False
    if "OneToMany" in card:
        one_side, many_side, flipped = lhs, rhs, True
    index: dict[tuple[tuple[str, str], ...], tuple[Labels, float]] = {}
    for labels, v in one_side.samples:
        signature = _signature(labels, modifier)
        if signature in index and "OneToOne" in card:
            raise PromQLError(
                "found duplicate series for the match group on the right hand "
                "side of the operation",
                "execution",
            )
        index[signature] = (labels, v)
    out = []
    for labels, v in many_side.samples:
        match = index.get(_signature(labels, modifier))
        if match is None:
            continue
        a, b = (match[1], v) if flipped else (v, match[1])
        keep, value = apply(a, b)
        if not keep:
            continue
        result = _drop_name(labels) if drop else dict(labels)
        if (
            "OneToOne" in card
            and modifier is not None
            and modifier.matching is not None
            and "Include" in str(modifier.matching.type)
        ):
            result = {
                k: val
                for k, val in result.items()
                if k in modifier.matching.labels or (k == "__name__" and not drop)
            }
        for name in include:
            if name in match[0]:
                result[name] = match[0][name]
        out.append((result, value))
    return Vector(out)


def _set_operation(op: str, lhs: Vector, rhs: Vector, modifier: Any) -> Vector:
    right = {_signature(labels, modifier) for labels, _ in rhs.samples}
    if op == "and":
        return Vector([s for s in lhs.samples if _signature(s[0], modifier) in right])
    if op == "unless":
        return Vector([s for s in lhs.samples if _signature(s[0], modifier) not in right])
    left = {_signature(labels, modifier) for labels, _ in lhs.samples}
    return Vector(lhs.samples + [s for s in rhs.samples if _signature(s[0], modifier) not in left])
