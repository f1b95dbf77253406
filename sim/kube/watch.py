"""Watch streams: newline-delimited `{"type", "object"}` events for a resource, as
`kubectl rollout status` and reflectors consume them."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from typing import Any

from aiohttp import web

from sim.kube import printers
from sim.kube.api import ResourceApi
from sim.kube.resources import ResourceType
from sim.kube.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)
from sim.kube.targets import Target

Obj = dict[str, Any]
MAX_SECONDS = 1800.0
TICK_SECONDS = 1.0  # how often a quiet watch moves the cluster to the present


async def stream(
    request: web.Request, api: ResourceApi, target: Target, as_table: bool
) -> web.StreamResponse:
    query = request.query
    labels = parse_label_selector(query.get("labelSelector"))
    fields = parse_field_selector(query.get("fieldSelector"), target.rt.kind)
    rt = target.rt

    def wanted(obj: Obj) -> bool:
        meta = obj["metadata"]
        if target.namespace and meta.get("namespace") != target.namespace:
            return False
        return labels_match(labels, meta.get("labels")) and fields_match(fields, obj)

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Obj]] = asyncio.Queue()

    def listener(event: str, changed: ResourceType, obj: Obj) -> None:
        if changed == rt and wanted(obj):
            loop.call_soon_threadsafe(queue.put_nowait, (event, copy.deepcopy(obj)))

    response = web.StreamResponse(
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    )
    await response.prepare(request)
    with api.lock:
        api.store.add_listener(listener)
        initial = (
            []
            if query.get("resourceVersion") not in (None, "", "0")
            else [
                ("ADDED", copy.deepcopy(o))
                for o in api.store.iter(rt, target.namespace)
                if wanted(o)
            ]
        )
    try:
        timeout = min(float(query.get("timeoutSeconds") or MAX_SECONDS), MAX_SECONDS)
        deadline = time.monotonic() + timeout
        for event in initial:
            await _send(response, api, rt, event, as_table)
        while time.monotonic() < deadline:
            try:
                event = await asyncio.wait_for(queue.get(), TICK_SECONDS)
            except TimeoutError:
                # aiohttp does not cancel a handler whose client left (kubectl ends `rollout
                # status` once it is done): notice it here, or the stream outlives the server.
                if request.transport is None or request.transport.is_closing():
                    break
                api.sync()
                continue
            await _send(response, api, rt, event, as_table)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        with api.lock:
            api.store.remove_listener(listener)
    return response


async def _send(
    response: web.StreamResponse,
    api: ResourceApi,
    rt: ResourceType,
    event: tuple[str, Obj],
    as_table: bool,
) -> None:
    kind, obj = event
    if as_table:
        obj = printers.table(rt, [obj], api.runtime.now_time(), None, str(api.store.revision))
    await response.write(json.dumps({"type": kind, "object": obj}).encode() + b"\n")
