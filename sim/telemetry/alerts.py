"""Alerting rules evaluated over the emulated Prometheus, as Prometheus's rule manager does:
an alert is pending while its expression has held for less than the rule's `for`, firing
after. The rules are data (`rules.yaml`); their templates use the few Go-template forms
Prometheus rules commonly use ({{ $labels.x }}, {{ $value }}, humanizePercentage,
humanizeDuration)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from sim.telemetry.metrics import MetricStore
from sim.telemetry.promql import Evaluator, PromQLError, Scalar, Vector, parse

EVALUATION_INTERVAL = timedelta(seconds=15)
LOOKBACK = timedelta(minutes=15)  # how far back an alert's activeAt is searched
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    alert: str
    expr: str
    for_: str = Field("0m", alias="for")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    @property
    def hold(self) -> timedelta:
        match = re.fullmatch(r"(\d+)([smh])", self.for_)
        if not match:
            raise ValueError(f"rule {self.alert}: bad for: {self.for_}")
        return timedelta(seconds=int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match[2]])


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    rules: list[Rule]


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups: list[Group]


@cache
def default_rules() -> RuleFile:
    text = resources.files("sim.telemetry").joinpath("rules.yaml").read_text()
    return RuleFile.model_validate(yaml.safe_load(text))


@dataclass(frozen=True)
class Alert:
    rule: Rule
    group: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str  # pending | firing
    active_at: datetime
    value: float

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "none")


def humanize_percentage(value: float) -> str:
    return f"{value * 100:.4g}%"


def humanize_duration(value: float) -> str:
    if value >= 1:
        return f"{value:.4g}s"
    return f"{value * 1000:.4g}ms"


def expand(template: str, labels: dict[str, str], value: float) -> str:
    """The Go-template forms our rules use, nothing more."""

    def substitute(match: re.Match[str]) -> str:
        body = match.group(1).strip()
        source, _, function = (part.strip() for part in body.partition("|"))
        if source.startswith("$labels."):
            return labels.get(source.removeprefix("$labels."), "")
        if source == "$value":
            if function == "humanizePercentage":
                return humanize_percentage(value)
            if function == "humanizeDuration":
                return humanize_duration(value)
            return f"{value:g}"
        return match.group(0)

    return re.sub(r"\{\{(.*?)\}\}", substitute, template)


def evaluate(store: MetricStore, now: datetime, rules: RuleFile | None = None) -> list[Alert]:
    """Every pending or firing alert at `now`, most severe and oldest first."""
    rules = rules or default_rules()
    evaluator = Evaluator(store)
    alerts: list[Alert] = []
    for group in rules.groups:
        for rule in group.rules:
            expr = parse(rule.expr)
            for labels, value, active_at in _holding(evaluator, expr, now):
                series = {k: v for k, v in labels.items() if k != "__name__"}
                full = {**series, **rule.labels, "alertname": rule.alert}
                annotations = {k: expand(v, full, value) for k, v in rule.annotations.items()}
                state = "firing" if now - active_at >= rule.hold else "pending"
                alerts.append(Alert(rule, group.name, full, annotations, state, active_at, value))
    return sorted(alerts, key=lambda a: (SEVERITY_ORDER.get(a.severity, 9), a.active_at))


def _holding(
    evaluator: Evaluator, expr: Any, now: datetime
) -> list[tuple[dict[str, str], float, datetime]]:
    """The series for which `expr` holds at `now`, with their value and since when it has held
    without a gap (searched back at most LOOKBACK). Only those are looked at in the past: most
    rules hold for nothing, and one evaluation at `now` tells so."""
    current = _samples(evaluator, expr, now)
    since = {key: now for key in current}
    t = now - EVALUATION_INTERVAL
    while since and t >= now - LOOKBACK:
        held = _samples(evaluator, expr, t)
        still = [key for key in since if since[key] == t + EVALUATION_INTERVAL and key in held]
        if not still:
            break
        for key in still:
            since[key] = t
        t -= EVALUATION_INTERVAL
    return [(labels, value, since[key]) for key, (labels, value) in current.items()]


def _samples(
    evaluator: Evaluator, expr: Any, t: datetime
) -> dict[tuple[tuple[str, str], ...], tuple[dict[str, str], float]]:
    value = evaluator.eval(expr, t)
    if isinstance(value, Scalar):
        return {(): ({}, value.value)}
    if not isinstance(value, Vector):
        raise PromQLError("an alerting rule must be an instant vector or a scalar")
    return {tuple(sorted(labels.items())): (labels, v) for labels, v in value.samples}


def api_alert(alert: Alert) -> dict[str, Any]:
    """One alert as Prometheus's /api/v1/alerts shows it."""
    return {
        "labels": alert.labels,
        "annotations": alert.annotations,
        "state": alert.state,
        "activeAt": alert.active_at.isoformat().replace("+00:00", "Z"),
        "value": go_float_e(alert.value),
    }


def go_float_e(value: float) -> str:
    """Go's strconv.FormatFloat(v, 'e', -1, 64): the shortest exact form, e.g. 1e+00."""
    for digits in range(17):
        text = f"{value:.{digits}e}"
        if float(text) == value:
            return text
    return f"{value:.16e}"
