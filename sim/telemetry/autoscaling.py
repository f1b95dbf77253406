"""kube-state-metrics' HorizontalPodAutoscaler series, from the autoscaler's own record of
every evaluation, so an HPA pinned at its maximum shows when it started to be."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from sim.world.autoscaler import Record

if TYPE_CHECKING:
    from sim.telemetry.metrics import MetricStore, Series

FIELDS = {
    "kube_horizontalpodautoscaler_spec_min_replicas": "min_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas": "max_replicas",
    "kube_horizontalpodautoscaler_status_current_replicas": "current",
    "kube_horizontalpodautoscaler_status_desired_replicas": "desired",
}


def _sample(records: list[Record], field: str, t: datetime) -> float | None:
    latest = None
    for record in records:
        if record.at > t:
            break
        latest = record
    return None if latest is None else float(getattr(latest, field))


def hpa_series(store: MetricStore, name: str) -> Iterator[Series]:
    from sim.telemetry.metrics import Series

    for (namespace, hpa), records in store.world.autoscaler.history.items():
        yield Series(
            name,
            {"namespace": namespace, "horizontalpodautoscaler": hpa},
            partial(_sample, records, FIELDS[name]),
        )
