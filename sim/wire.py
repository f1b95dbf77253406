"""JSON responses of the emulated servers (the Kubernetes API, Prometheus, Jaeger), encoded
by orjson: a trace search answers with a megabyte of traces, kubectl reads lists as large,
and the standard library's `json.dumps` was 4% of an eval run's Python samples (py-spy),
most of it Jaeger's."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web


def json_response(data: Any, *, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")
