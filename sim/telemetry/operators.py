"""PromQL aggregations and binary operators, after Prometheus's engine (promql/engine.go):
grouping by/without, topk, quantile, arithmetic and comparisons, vector matching with
on/ignoring and group_left/right, and the set operators."""

from __future__ import annotations

import math
import operator
import statistics
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.telemetry.functions import number
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
        k = int(number(ev, expr.param, t))
        out: list[tuple[Labels, float]] = []
        for _, members in groups.values():
            ranked = sorted(members, key=lambda m: m[1], reverse=op == "topk")
            out += ranked[:k]
        return Vector(out)
    if op == "quantile":
        q = number(ev, expr.param, t)
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
