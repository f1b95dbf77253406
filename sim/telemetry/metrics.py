"""The series Prometheus would have scraped from the emulated cluster: cAdvisor container
metrics and kube-state-metrics, named and labelled as kube-prometheus exposes them.

Samples are computed on demand from the recorded history (attempts, observations), so a query
over the last 30 minutes sees the fault start at its real time, and repeated queries agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from sim.telemetry.autoscaling import FIELDS as HPA_FIELDS
from sim.telemetry.autoscaling import hpa_series
from sim.telemetry.deployments import deployment_series
from sim.telemetry.history import SCRAPE_SECONDS, Container, containers
from sim.telemetry.requests import RequestCounters, request_series
from sim.telemetry.traffic import TrafficModel
from sim.world.scheduling import parse_cpu

if TYPE_CHECKING:
    from sim.world.runtime import World

Sample = Callable[[datetime], "float | None"]
MIB = 2**20
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
WAITING = (
    "ContainerCreating",
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
)
CFS_PERIODS_PER_SECOND = 10.0  # the kernel's 100 ms CFS period


@dataclass(frozen=True)
class Series:
    name: str
    labels: dict[str, str]
    sample: Sample

    def all_labels(self) -> dict[str, str]:
        return {"__name__": self.name, **self.labels}


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # counter | gauge
    help: str
    build: Callable[[MetricStore], Iterator[Series]]


class MetricStore:
    """Every series of the cluster. Counter increments of windows wholly in the past never
    change, so their running totals are cached for the life of the cluster."""

    def __init__(self, world: World, traffic: dict[str, dict[str, float]] | None = None) -> None:
        self.world = world
        # (container instance, counter) -> its total after each settled window, in order
        self._prefix: dict[tuple[str, str], list[float]] = {}
        # (container, instant) -> (millicores wanted, MiB), for the world state (and load
        # surges) they were computed in: the CPU and throttling counters and the memory
        # gauge all ask for the same windows' demand, a traffic lookup and a program's model.
        self._demand: dict[tuple[str, datetime], tuple[float, float] | None] = {}
        self._demand_state: object = None
        self.traffic = TrafficModel(world, traffic or {})
        self.requests = RequestCounters(self)

    def __getstate__(self) -> dict[str, object]:
        # A snapshot keeps the settled totals; the demand memo is rebuilt on demand.
        return {**self.__dict__, "_demand": {}, "_demand_state": None}

    def families(self) -> list[Family]:
        return FAMILIES

    def series(self, name: str | None = None) -> list[Series]:
        out: list[Series] = []
        for family in FAMILIES:
            if name is None or family.name == name:
                out.extend(family.build(self))
        return out

    def names(self) -> list[str]:
        return sorted(f.name for f in FAMILIES)

    def warm(self) -> None:
        """Sample every counter once at the present, as a scrape would: the cAdvisor
        counters and the request counts and sums. Their totals over settled windows, and the
        traffic snapshots behind them, are kept, so a copy of this store answers `rate()`
        over the past without computing each window's traffic again (what a query costs the
        first time). Histogram buckets, fifteen series per operation, are left to be asked."""
        now = self.world.now
        for family in FAMILIES:
            if family.kind == "counter" or family.name.endswith(("_count", "_sum")):
                for series in family.build(self):
                    series.sample(now)

    # -- usage --------------------------------------------------------------------------------

    def demand(self, c: Container, t: datetime) -> tuple[float, float] | None:
        """(millicores the container wants, MiB it holds) at `t`, None if it was not running:
        its program's own use plus its share of the traffic."""
        state = (self.world.state, sum(map(len, self.traffic.surges.values())))
        if state != self._demand_state:
            self._demand.clear()
            self._demand_state = state
        key = (c.key, t)
        if key not in self._demand:
            found = c.context(t)
            if found is None:
                self._demand[key] = None
            else:
                program, ctx, seen = found
                idle, mib = program.usage(ctx, seen)
                self._demand[key] = (idle + self.world.load(c.pod, c.run.name, t), mib)
        return self._demand[key]

    def usage(self, c: Container, t: datetime) -> tuple[float, float] | None:
        """(CPU cores used, memory bytes) at `t` with a few percent of steady jitter."""
        wanted = self.demand(c, t)
        if wanted is None:
            return None
        millicores, mib = wanted
        limit = parse_cpu(((c.spec.get("resources") or {}).get("limits") or {}).get("cpu"))
        if limit:
            millicores = min(millicores, limit)
        jitter = self._jitter(c, t)
        return max(millicores, 1) / 1000 * (1 + jitter), max(mib, 1) * MIB * (1 + jitter / 4)

    def _jitter(self, c: Container, t: datetime) -> float:
        window = int(t.timestamp()) // SCRAPE_SECONDS
        return (self.world.stable_hash(c.key, window) % 21 - 10) / 100

    def demand_ratio(self, c: Container, t: datetime) -> float:
        """CPU wanted / CPU limit (0 without a limit)."""
        limit = parse_cpu(((c.spec.get("resources") or {}).get("limits") or {}).get("cpu"))
        wanted = self.demand(c, t) if limit else None
        return wanted[0] / limit if wanted and limit else 0.0

    def counter(
        self,
        c: Container,
        what: str,
        t: datetime,
        rate: Callable[[Container, datetime], float | None],
    ) -> float | None:
        """A cAdvisor counter: the integral of `rate` over the running container's life
        (a restarted container is a new container: its counter starts again at zero)."""
        attempt = c.attempt(t)
        if attempt is None:
            return None
        start = int(attempt.started.timestamp()) // SCRAPE_SECONDS
        now = int(t.timestamp()) // SCRAPE_SECONDS
        settled = int(self.world.now.timestamp()) // SCRAPE_SECONDS

        def increment(window: int) -> float:
            begin = max(attempt.started.timestamp(), window * SCRAPE_SECONDS)
            end = min(t.timestamp(), (window + 1) * SCRAPE_SECONDS)
            middle = datetime.fromtimestamp((begin + end) / 2, tz=t.tzinfo)
            return (rate(c, middle) or 0.0) * max(end - begin, 0.0)

        # Windows before both `t` and the present never change: their running total is
        # kept (summed in window order, so every total is the same float as summing anew).
        # `t`'s own window counts up to `t` only, however far the kept totals reach, so a
        # sample depends on `t` alone and never on what was asked before it.
        prefix = self._prefix.setdefault((f"{c.key}/{attempt.restart}", what), [])
        while start + len(prefix) < min(now, settled):
            prefix.append((prefix[-1] if prefix else 0.0) + increment(start + len(prefix)))
        done = min(len(prefix), now - start)
        total = prefix[done - 1] if done else 0.0
        for window in range(start + done, now + 1):
            total += increment(window)
        return total


# -- families ---------------------------------------------------------------------------------

FAMILIES: list[Family] = []


def family(
    name: str, kind: str, help_text: str
) -> Callable[
    [Callable[[MetricStore], Iterator[Series]]], Callable[[MetricStore], Iterator[Series]]
]:
    def register(
        build: Callable[[MetricStore], Iterator[Series]],
    ) -> Callable[[MetricStore], Iterator[Series]]:
        FAMILIES.append(Family(name, kind, help_text, build))
        return build

    return register


def _alive(c: Container, t: datetime, value: float) -> float | None:
    return value if c.alive(t) else None


@family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.")
def _cpu(store: MetricStore) -> Iterator[Series]:
    rate = _cpu_rate(store)
    for c in containers(store.world):
        yield Series(
            "container_cpu_usage_seconds_total",
            {**c.labels(), "cpu": "total"},
            partial(store.counter, c, "cpu", rate=rate),
        )


def _cpu_rate(store: MetricStore) -> Callable[[Container, datetime], float | None]:
    def rate(c: Container, t: datetime) -> float | None:
        used = store.usage(c, t)
        return used[0] if used else None

    return rate


@family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")
def _memory(store: MetricStore) -> Iterator[Series]:
    def sample(c: Container, t: datetime) -> float | None:
        used = store.usage(c, t)
        return used[1] if used else None

    for c in containers(store.world):
        yield Series("container_memory_working_set_bytes", c.labels(), partial(sample, c))


def _limited(c: Container) -> bool:
    return bool(((c.spec.get("resources") or {}).get("limits") or {}).get("cpu"))


@family(
    "container_cpu_cfs_periods_total", "counter", "Number of elapsed enforcement period intervals."
)
def _periods(store: MetricStore) -> Iterator[Series]:
    # One period every 100 ms of the running container's life: a product, not an integral.
    def sample(c: Container, t: datetime) -> float | None:
        attempt = c.attempt(t)
        if attempt is None:
            return None
        return CFS_PERIODS_PER_SECOND * max((t - attempt.started).total_seconds(), 0.0)

    for c in containers(store.world):
        if _limited(c):
            yield Series("container_cpu_cfs_periods_total", c.labels(), partial(sample, c))


@family(
    "container_cpu_cfs_throttled_periods_total", "counter", "Number of throttled period intervals."
)
def _throttled(store: MetricStore) -> Iterator[Series]:
    def rate(c: Container, t: datetime) -> float:
        # Periods in which the container hit its quota, growing with demand over the limit.
        return CFS_PERIODS_PER_SECOND * min(max(store.demand_ratio(c, t) - 0.6, 0.0), 1.0)

    for c in containers(store.world):
        if _limited(c):
            yield Series(
                "container_cpu_cfs_throttled_periods_total",
                c.labels(),
                partial(store.counter, c, "throttled", rate=rate),
            )


def _network(store: MetricStore, name: str, bytes_per_core_second: float) -> Iterator[Series]:
    # Traffic in proportion to the CPU a container spends serving it: the CPU counter
    # scaled, rather than the same integral computed again.
    rate = _cpu_rate(store)

    def sample(c: Container, t: datetime) -> float | None:
        used = store.counter(c, "cpu", t, rate=rate)
        return used * bytes_per_core_second if used is not None else None

    for c in containers(store.world):
        yield Series(name, {**c.labels(), "interface": "eth0"}, partial(sample, c))


@family("container_network_receive_bytes_total", "counter", "Cumulative count of bytes received.")
def _rx(store: MetricStore) -> Iterator[Series]:
    return _network(store, "container_network_receive_bytes_total", 4e5)


@family(
    "container_network_transmit_bytes_total", "counter", "Cumulative count of bytes transmitted."
)
def _tx(store: MetricStore) -> Iterator[Series]:
    return _network(store, "container_network_transmit_bytes_total", 6e5)


# -- request metrics (sim/telemetry/requests.py) -----------------------------------------------

for _suffix in ("_bucket", "_sum", "_count"):
    for _protocols, _name, _help in (
        (("http",), "http_server_request_duration_seconds", "Duration of HTTP server requests."),
        (("grpc", "thrift"), "rpc_server_duration_seconds", "Duration of inbound RPCs."),
    ):
        FAMILIES.append(
            Family(
                _name + _suffix,
                "histogram",
                _help,
                partial(request_series, suffix=_suffix, protocols=_protocols),
            )
        )

FAMILIES += [
    Family(
        "kube_deployment_spec_replicas",
        "gauge",
        "Number of desired pods for a deployment.",
        partial(deployment_series, name="kube_deployment_spec_replicas"),
    ),
    Family(
        "kube_deployment_status_replicas_available",
        "gauge",
        "The number of available replicas per deployment.",
        partial(deployment_series, name="kube_deployment_status_replicas_available"),
    ),
]

FAMILIES += [
    Family(name, "gauge", f"HorizontalPodAutoscaler {field}.", partial(hpa_series, name=name))
    for name, field in HPA_FIELDS.items()
]

# kube-state-metrics' pod families register themselves on import.
from sim.telemetry import kube_state  # noqa: E402, F401
