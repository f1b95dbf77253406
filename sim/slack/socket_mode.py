"""Socket Mode: apps.connections.open hands out a one-time WebSocket URL; on it Slack says
`hello`, then sends envelopes and waits for each to be acknowledged by its envelope_id."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from sim.slack.methods.base import Answer, Args
from sim.slack.state import SlackState


@dataclass
class EnvelopeAck:
    """How an envelope fared: acknowledged (with any response payload) or not in time."""

    acked: bool
    latency: float | None
    payload: Any = None
    error: str | None = None


class SocketModeServer:
    """The Socket Mode side of the emulator: connection tickets, hello, envelopes, acks."""

    def __init__(self, state: SlackState, ws_base: Callable[[], str]) -> None:
        self.state = state
        self._ws_base = ws_base
        self._tickets: set[str] = set()
        self._connections: list[web.WebSocketResponse] = []
        self._gone: dict[web.WebSocketResponse, asyncio.Event] = {}
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._connected = asyncio.Event()

    @property
    def connected(self) -> bool:
        return any(not ws.closed for ws in self._connections)

    def open_connection(self, state: SlackState, args: Args) -> Answer:
        """apps.connections.open: a WebSocket URL with a ticket that works once."""
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        app_id = state.workspace.app_id
        return {"ok": True, "url": f"{self._ws_base()}/link/?ticket={ticket}&app_id={app_id}"}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The WebSocket a Socket Mode client connects to."""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._connections.append(ws)
        self._gone[ws] = asyncio.Event()
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len([c for c in self._connections if not c.closed]),
                "debug_info": {
                    "host": "applink-emulator",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.state.workspace.app_id},
            }
        )
        self._connected.set()
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    self._acknowledge(frame.data)
        finally:
            self._connections.remove(ws)
            self._gone.pop(ws).set()
            if not self.connected:
                self._connected.clear()
        return ws

    def _acknowledge(self, data: str) -> None:
        try:
            message = json.loads(data)
        except json.JSONDecodeError:
            return
        if not isinstance(message, dict):
            return
        future = self._pending.get(str(message.get("envelope_id")))
        if future is not None and not future.done():
            future.set_result(message.get("payload"))

    async def wait_connected(self, timeout: float) -> bool:
        """Whether a client is (or within `timeout` becomes) connected."""
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            return False
        return self.connected

    async def send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool,
        timeout: float,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> tuple[str, EnvelopeAck]:
        """Send one envelope on the newest connection and wait up to `timeout` for its ack."""
        envelope_id = str(uuid.uuid4())
        live = [ws for ws in self._connections if not ws.closed]
        if not live:
            return envelope_id, EnvelopeAck(False, None, error="no_connection")
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = future
        started = time.monotonic()
        try:
            await live[-1].send_json(envelope)
            ack = await asyncio.wait_for(future, timeout)
            return envelope_id, EnvelopeAck(True, time.monotonic() - started, ack)
        except TimeoutError:
            return envelope_id, EnvelopeAck(False, None, error="timeout")
        except ConnectionError:
            return envelope_id, EnvelopeAck(False, None, error="connection_failed")
        finally:
            del self._pending[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested", grace: float = 5.0) -> None:
        """Ask every client to reconnect, as Slack does now and then.

        Slack closes the old socket some seconds after its `disconnect` message; a client
        that reconnects at once closes it itself first, which is what is waited for here.
        """
        for ws in list(self._connections):
            if ws.closed:
                continue
            gone = self._gone[ws]
            await ws.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink"}}
            )
            try:
                await asyncio.wait_for(gone.wait(), grace)
            except TimeoutError:
                await ws.close()

    async def close(self) -> None:
        for ws in list(self._connections):
            await ws.close()
