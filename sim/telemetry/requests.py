"""Per-service request metrics as OpenTelemetry's SDKs export them to Prometheus:
`http_server_request_duration_seconds` for HTTP services and `rpc_server_duration_seconds` for
gRPC and Thrift ones, histograms with `_bucket`, `_sum` and `_count`, labelled namespace,
service, pod, operation and the status code.

Counts integrate the traffic model's request rate over 15-second windows since the process
started (a restart resets them, as it does for a real process). Latency within a window is
log-normal around the model's mean, which is what makes `histogram_quantile` move when a
dependency slows down. A series exists only once its count is above zero, as in Prometheus.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from sim.telemetry.history import SCRAPE_SECONDS, Container, containers
from sim.telemetry.snapshot import CODES, Result
from sim.world.software.base import RunContext, Telemetry

if TYPE_CHECKING:
    from sim.telemetry.metrics import MetricStore, Series

# OpenTelemetry's default explicit bucket boundaries for request durations (seconds).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
SIGMA = 0.45  # spread of the log-normal latency within a window
HTTP = "http_server_request_duration_seconds"
RPC = "rpc_server_duration_seconds"


def metric_for(protocol: str) -> str:
    return HTTP if protocol == "http" else RPC


def identity(c: Container) -> Telemetry | None:
    """A container's telemetry identity (service, operations), independent of time."""
    program = c.program()
    if program is None:
        return None
    ctx = RunContext(c.world, c.pod, c.spec, c.pod_run.started)
    return program.telemetry(ctx, {})


def labels(c: Container, telemetry: Telemetry, op: str, code: str) -> dict[str, str]:
    meta = c.pod["metadata"]
    out = {"namespace": meta["namespace"], "service": telemetry.service, "pod": meta["name"]}
    if telemetry.protocol == "http":
        method, _, route = op.removeprefix("HTTP ").partition(" ")
        out |= {
            "http_request_method": method.upper() if route else "GET",
            "http_route": route or op,
            "http_response_status_code": code,
        }
    else:
        service, _, method = op.strip("/").rpartition("/")
        out |= {
            "rpc_system": "grpc" if telemetry.protocol == "grpc" else "apache_thrift",
            "rpc_service": service or telemetry.service,
            "rpc_method": method or op,
        }
        if telemetry.protocol == "grpc":
            out["rpc_grpc_status_code"] = code
        elif code:
            out["error_type"] = code
    return out


def fraction_below(result: Result, le: float) -> float:
    """Share of requests faster than `le` seconds, latency log-normal with the given mean."""
    if math.isinf(le):
        return 1.0
    median = result.latency_ms / 1000 / math.exp(SIGMA**2 / 2)
    return 0.5 * (1 + math.erf((math.log(le) - math.log(median)) / (SIGMA * math.sqrt(2))))


class RequestCounters:
    """Cumulative request counters per (container, operation, code, measure), built from the
    traffic model window by window, with the settled past cached as prefix sums."""

    def __init__(self, store: MetricStore) -> None:
        self.store = store
        self._prefix: dict[tuple[str, int, str, str, str], list[float]] = {}

    def value(self, c: Container, op: str, code: str, measure: str, t: datetime) -> float | None:
        count = self._total(c, op, code, "count", t)
        if count is None or count <= 0:
            return None  # no request with this code yet: the series does not exist
        return count if measure == "count" else self._total(c, op, code, measure, t)

    def bucket(self, c: Container, op: str, code: str, le: float, t: datetime) -> float | None:
        return self.value(c, op, code, f"le={le!r}", t)

    def _total(self, c: Container, op: str, code: str, measure: str, t: datetime) -> float | None:
        attempt = c.attempt(t)
        if attempt is None:
            return None
        first = int(attempt.started.timestamp()) // SCRAPE_SECONDS
        last = int(t.timestamp()) // SCRAPE_SECONDS
        settled = int(self.store.world.now.timestamp()) // SCRAPE_SECONDS
        prefix = self._prefix.setdefault((c.key, attempt.restart, op, code, measure), [])
        while first + len(prefix) < min(last, settled):
            window = first + len(prefix)
            previous = prefix[-1] if prefix else 0.0
            prefix.append(previous + self._window(c, op, code, measure, window, attempt.started))
        done = min(len(prefix), last - first)
        total = prefix[done - 1] if done > 0 else 0.0
        for window in range(first + done, last + 1):
            total += self._window(c, op, code, measure, window, attempt.started, until=t)
        return total

    def _window(
        self,
        c: Container,
        op: str,
        code: str,
        measure: str,
        window: int,
        started: datetime,
        until: datetime | None = None,
    ) -> float:
        begin = max(float(window * SCRAPE_SECONDS), started.timestamp())
        end = float((window + 1) * SCRAPE_SECONDS)
        if until is not None:
            end = min(end, until.timestamp())
        if end <= begin:
            return 0.0
        middle = datetime.fromtimestamp(window * SCRAPE_SECONDS + SCRAPE_SECONDS / 2, tz=UTC)
        snap = self.store.traffic.snapshot(c.pod["metadata"]["namespace"], middle)
        index = snap.index_of(c.key)
        if index is None or not snap.instances[index].serving:
            return 0.0  # a process that accepts nothing records no requests
        rate = snap.rates.get((index, op), 0.0)
        total = 0.0
        for share, result in snap.results.get((index, op), []):
            if result.code != code:
                continue
            requests = rate * share * (end - begin)
            if measure == "count":
                total += requests
            elif measure == "sum":
                total += requests * result.latency_ms / 1000
            else:
                total += requests * fraction_below(result, float(measure.removeprefix("le=")))
        return total


def request_series(store: MetricStore, suffix: str, protocols: tuple[str, ...]) -> Iterator[Series]:
    from sim.telemetry.metrics import Series

    for c in containers(store.world):
        telemetry = identity(c)
        if telemetry is None or telemetry.protocol not in protocols:
            continue
        name = metric_for(telemetry.protocol) + suffix
        for op in telemetry.operations:
            for code in sorted(set(CODES[telemetry.protocol].values())):
                base = labels(c, telemetry, op, code)
                if suffix == "_bucket":
                    for le in (*BUCKETS, math.inf):
                        text = "+Inf" if math.isinf(le) else repr(le)
                        yield Series(
                            name,
                            {**base, "le": text},
                            partial(store.requests.bucket, c, op, code, le),
                        )
                else:
                    measure = suffix.removeprefix("_")
                    yield Series(name, base, partial(store.requests.value, c, op, code, measure))
