"""Plain-HTTP clients for the emulated Prometheus and Jaeger, as any tool would call them."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


def get_json(url: str, path: str, **params: Any) -> Any:
    query = urllib.parse.urlencode(params, doseq=True)
    try:
        with urllib.request.urlopen(f"{url}{path}?{query}") as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
        body["http_status"] = exc.code
        return body


def prom(running: Any, path: str, **params: Any) -> Any:
    return get_json(running.cluster.prometheus_url, path, **params)


def vector(running: Any, query: str, **params: Any) -> list[tuple[dict[str, str], float]]:
    body = prom(running, "/api/v1/query", query=query, **params)
    assert body["status"] == "success" and body["data"]["resultType"] == "vector", body
    return [(r["metric"], float(r["value"][1])) for r in body["data"]["result"]]


def by(samples: list[tuple[dict[str, str], float]], label: str) -> dict[str, float]:
    return {labels[label]: value for labels, value in samples}


def jaeger(running: Any, path: str, **params: Any) -> Any:
    return get_json(running.cluster.jaeger_url, path, **params)


def spans(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """A trace's spans with their service name and tags flattened, for assertions."""
    out = []
    for span in trace["spans"]:
        out.append(
            {
                "service": trace["processes"][span["processID"]]["serviceName"],
                "operation": span["operationName"],
                "duration": span["duration"],
                "tags": {t["key"]: t["value"] for t in span["tags"]},
                "id": span["spanID"],
                "parent": span["references"][0]["spanID"] if span["references"] else None,
            }
        )
    return out
