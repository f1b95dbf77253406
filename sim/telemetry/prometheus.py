"""Prometheus's HTTP API (v1) over the emulated cluster's metrics: instant and range queries,
series, label names and values, with Prometheus's own JSON envelope and error shape."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from sim.clock import parse_time
from sim.kube.api import ResourceApi
from sim.telemetry.alerts import api_alert, default_rules, evaluate
from sim.telemetry.metrics import MetricStore
from sim.telemetry.promql import (
    Evaluator,
    Matrix,
    PromQLError,
    Scalar,
    String,
    Value,
    finite,
    parse,
)
from sim.wire import json_response
from sim.world import pasts

Obj = dict[str, Any]
MAX_POINTS = 11000  # Prometheus refuses range queries with more points per series


def _bad(message: str, kind: str = "bad_data", status: int = 400) -> web.Response:
    return json_response({"status": "error", "errorType": kind, "error": message}, status=status)


def _time(text: str | None, default: datetime) -> datetime:
    if text is None or text == "":
        return default
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        pass
    try:
        return parse_time(text)
    except ValueError:
        raise PromQLError(f'cannot parse "{text}" to a valid timestamp') from None


def _duration(text: str) -> timedelta:
    try:
        return timedelta(seconds=float(text))
    except ValueError:
        pass
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise PromQLError(f'cannot parse "{text}" to a valid duration')
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return timedelta(seconds=sum(int(n) * scale[u] for n, u in parts))


def _point(t: datetime, value: float) -> list[Any]:
    stamp = t.timestamp()
    return [int(stamp) if stamp == int(stamp) else round(stamp, 3), finite(value)]


def render(value: Value, t: datetime) -> Obj:
    """The `data` member of a query response."""
    if isinstance(value, Scalar):
        return {"resultType": "scalar", "result": _point(t, value.value)}
    if isinstance(value, String):
        return {"resultType": "string", "result": [_point(t, 0)[0], value.value]}
    if isinstance(value, Matrix):
        return {
            "resultType": "matrix",
            "result": [
                {"metric": labels, "values": [_point(ts, v) for ts, v in points]}
                for labels, points in value.series
            ],
        }
    return {
        "resultType": "vector",
        "result": [{"metric": labels, "value": _point(t, v)} for labels, v in value.samples],
    }


class PrometheusApi:
    def __init__(self, api: ResourceApi, store: MetricStore) -> None:
        self.api = api
        self.store = store

    def app(self) -> web.Application:
        app = web.Application()
        for path, handler in (
            ("/api/v1/query", self.query),
            ("/api/v1/query_range", self.query_range),
            ("/api/v1/series", self.series),
            ("/api/v1/labels", self.labels),
            ("/api/v1/label/{name}/values", self.label_values),
            ("/api/v1/metadata", self.metadata),
        ):
            app.router.add_route("GET", path, handler)
            app.router.add_route("POST", path, handler)
        app.router.add_get("/api/v1/alerts", self.alerts)
        app.router.add_get("/api/v1/rules", self.rules)
        app.router.add_get("/api/v1/status/buildinfo", self.buildinfo)
        app.router.add_get("/-/ready", self.ready)
        app.router.add_get("/-/healthy", self.ready)
        return app

    async def _params(self, request: web.Request) -> Any:
        if request.method == "POST":
            form = await request.post()
            return {**request.query, **{k: str(v) for k, v in form.items()}}
        return request.query

    def _now(self) -> datetime:
        self.api.sync()
        return self.api.runtime.now_time()

    async def query(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        if not params.get("query"):
            return _bad('invalid parameter "query": query must not be empty')
        try:
            with self.api.lock:
                t = _time(params.get("time"), self._now())
                # Eval's tasks of a scenario ask the same of the same state (sim.world.pasts).
                data = pasts.remembered(
                    self.store.world,
                    "instant queries",
                    (params["query"], t),
                    lambda: render(Evaluator(self.store).instant(params["query"], t), t),
                )
        except PromQLError as exc:
            return _bad(str(exc), exc.kind, 400 if exc.kind == "bad_data" else 422)
        return json_response({"status": "success", "data": data})

    async def query_range(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        try:
            with self.api.lock:
                now = self._now()
                start, end = _time(params.get("start"), now), _time(params.get("end"), now)
                step = _duration(params.get("step", ""))
                if end < start:
                    raise PromQLError("end timestamp must not be before start time")
                if step.total_seconds() <= 0:
                    raise PromQLError(
                        "zero or negative query resolution step widths are not "
                        "accepted. Try a positive integer"
                    )
                if (end - start) / step > MAX_POINTS:
                    raise PromQLError(
                        "exceeded maximum resolution of 11,000 points per "
                        "timeseries. Try decreasing the query resolution "
                        "(?step=XX)"
                    )
                matrix = Evaluator(self.store).range(params.get("query", ""), start, end, step)
        except PromQLError as exc:
            return _bad(str(exc), exc.kind, 400 if exc.kind == "bad_data" else 422)
        return json_response({"status": "success", "data": render(matrix, end)})

    def _matching(self, selectors: list[str], start: datetime, end: datetime) -> list[Obj]:
        evaluator = Evaluator(self.store)
        seen: dict[tuple[tuple[str, str], ...], Obj] = {}
        for selector in selectors or ['{__name__=~".+"}']:
            expr = series_selector(selector)
            for series in evaluator.select(expr):
                labels = series.all_labels()
                probe = [end, start + (end - start) / 2, start]
                if any(series.sample(t) is not None for t in probe):
                    seen[tuple(sorted(labels.items()))] = labels
        return list(seen.values())

    async def series(self, request: web.Request) -> web.Response:
        params = request.query
        selectors = params.getall("match[]", [])
        if not selectors:
            return _bad("no match[] parameter provided")
        try:
            with self.api.lock:
                now = self._now()
                start = _time(params.get("start"), now - timedelta(minutes=5))
                data = self._matching(selectors, start, _time(params.get("end"), now))
        except PromQLError as exc:
            return _bad(str(exc))
        return json_response({"status": "success", "data": data})

    async def labels(self, request: web.Request) -> web.Response:
        with self.api.lock:
            now = self._now()
            names = {
                k
                for s in self._matching(
                    request.query.getall("match[]", []), now - timedelta(hours=1), now
                )
                for k in s
            }
        return json_response({"status": "success", "data": sorted(names)})

    async def label_values(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        with self.api.lock:
            now = self._now()
            if name == "__name__" and not request.query.getall("match[]", []):
                values = set(self.store.names())
            else:
                values = {
                    s[name]
                    for s in self._matching(
                        request.query.getall("match[]", []), now - timedelta(hours=1), now
                    )
                    if name in s
                }
        return json_response({"status": "success", "data": sorted(values)})

    async def metadata(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "status": "success",
                "data": {
                    # A histogram's _bucket/_sum/_count series share their base name's entry.
                    (
                        re.sub(r"_(bucket|sum|count)$", "", f.name)
                        if f.kind == "histogram"
                        else f.name
                    ): [{"type": f.kind, "help": f.help, "unit": ""}]
                    for f in self.store.families()
                },
            }
        )

    async def alerts(self, request: web.Request) -> web.Response:
        with self.api.lock:
            active = evaluate(self.store, self._now())
        return json_response(
            {"status": "success", "data": {"alerts": [api_alert(a) for a in active]}}
        )

    async def rules(self, request: web.Request) -> web.Response:
        with self.api.lock:
            now = self._now()
            active = evaluate(self.store, now)
        groups = []
        for group in default_rules().groups:
            rules = []
            for rule in group.rules:
                mine = [a for a in active if a.rule is rule]
                state = (
                    "firing"
                    if any(a.state == "firing" for a in mine)
                    else ("pending" if mine else "inactive")
                )
                rules.append(
                    {
                        "name": rule.alert,
                        "query": rule.expr,
                        "duration": rule.hold.total_seconds(),
                        "labels": rule.labels,
                        "annotations": rule.annotations,
                        "alerts": [api_alert(a) for a in mine],
                        "health": "ok",
                        "type": "alerting",
                        "state": state,
                    }
                )
            groups.append(
                {"name": group.name, "file": "rules.yaml", "rules": rules, "interval": 15}
            )
        return json_response({"status": "success", "data": {"groups": groups}})

    async def buildinfo(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "status": "success",
                "data": {
                    "version": "3.1.0",
                    "revision": "aoi-sim",
                    "branch": "HEAD",
                    "buildUser": "aoi",
                    "buildDate": "20250101-00:00:00",
                    "goVersion": "go1.23.4",
                },
            }
        )

    async def ready(self, request: web.Request) -> web.Response:
        return web.Response(text="Prometheus Server is Ready.\n")


def series_selector(selector: str) -> Any:
    expr = parse(selector)
    if type(expr).__name__ != "VectorSelector":
        raise PromQLError(f'invalid parameter "match[]": expected a series selector: {selector}')
    return expr
