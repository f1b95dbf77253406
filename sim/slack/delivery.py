"""Slack towards the app: signed HTTP requests to the Request URL, or envelopes over Socket
Mode, with Slack's retries of events the app did not acknowledge within three seconds."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp

from sim.slack.signing import signed_headers
from sim.slack.socket_mode import SocketModeServer
from sim.slack.state import SlackState

Kind = Literal["event", "interaction", "slash_command", "url_verification", "raw"]
Mode = Literal["http", "socket"]

_ENVELOPE_TYPES = {
    "event": "events_api",
    "interaction": "interactive",
    "slash_command": "slash_commands",
}
MAX_RETRIES = 3


@dataclass
class Delivery:
    """One attempt to hand a request to the app, and how the app answered it."""

    kind: Kind
    id: str
    body: dict[str, Any]
    transport: Mode
    retry_num: int = 0
    retry_reason: str | None = None
    status: int | None = None  # HTTP status; None if no answer came in time (and on sockets)
    acked: bool = False  # a 2xx, or an envelope ack, within the ack timeout
    latency: float | None = None  # seconds until the answer or ack arrived
    # http_timeout | http_error | connection_failed | no_request_url | no_connection | timeout
    error: str | None = None
    response: Any = None  # the ack body (decoded JSON, text) or the envelope's ack payload
    no_retry: bool = False  # the app answered X-Slack-No-Retry: 1

    @property
    def event_type(self) -> str | None:
        event = self.body.get("event")
        return str(event.get("type")) if isinstance(event, dict) else None


def _decode(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw.decode(errors="replace")


def encode(kind: Kind, body: dict[str, Any]) -> tuple[bytes, str]:
    """The wire form of a request: JSON for events, forms for interactions and commands."""
    if kind == "interaction":
        form = urlencode({"payload": json.dumps(body)})
        return form.encode(), "application/x-www-form-urlencoded"
    if kind == "slash_command":
        return urlencode(body).encode(), "application/x-www-form-urlencoded"
    return json.dumps(body).encode(), "application/json"


class Deliverer:
    """Sends requests to the app (HTTP or Socket Mode) and retries events as Slack does."""

    def __init__(
        self,
        state: SlackState,
        socket: SocketModeServer,
        *,
        mode: Mode,
        ack_timeout: float,
        retry_delays: Sequence[float],
        auto_retry: bool,
        connect_timeout: float = 10.0,
    ) -> None:
        self.state = state
        self.socket = socket
        self.mode: Mode = mode
        self.request_url: str | None = None
        self.ack_timeout = ack_timeout
        self.retry_delays = tuple(retry_delays)
        self.auto_retry = auto_retry
        self.connect_timeout = connect_timeout
        self.deliveries: list[Delivery] = []
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    async def close(self) -> None:
        self._closed = True  # what the app does while we stop is delivered nowhere
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def in_background(self, coro: Any) -> None:
        """Run a delivery without waiting for it (e.g. an event a Web API call caused)."""
        if self._closed:
            coro.close()
            return
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until no background delivery or retry is in flight."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def deliver(self, kind: Kind, body: dict[str, Any], delivery_id: str) -> Delivery:
        """The first attempt; an unacknowledged event is retried in the background."""
        delivery = await self.attempt(kind, body, delivery_id, 0, None)
        retriable = not (delivery.acked or delivery.no_retry or delivery.error == "no_request_url")
        if kind == "event" and self.auto_retry and retriable:
            self.in_background(self._retry(delivery))
        return delivery

    async def _retry(self, first: Delivery) -> None:
        previous = first
        for retry_num in range(1, MAX_RETRIES + 1):
            delays = self.retry_delays or (0.0,)
            await asyncio.sleep(delays[min(retry_num - 1, len(delays) - 1)])
            reason = self._retry_reason(previous)
            previous = await self.attempt(first.kind, first.body, first.id, retry_num, reason)
            if previous.acked or previous.no_retry:
                return

    def _retry_reason(self, failed: Delivery) -> str:
        if failed.transport == "socket":
            return "timeout"
        return failed.error or "unknown_error"

    async def attempt(
        self, kind: Kind, body: dict[str, Any], delivery_id: str, retry_num: int, reason: str | None
    ) -> Delivery:
        """One attempt, recorded; retries carry their number and reason."""
        if self.mode == "socket" and kind in _ENVELOPE_TYPES:
            delivery = await self._by_socket(kind, body, delivery_id, retry_num, reason)
        else:
            raw, content_type = encode(kind, body)
            headers = signed_headers(
                self.state.workspace.signing_secret, int(self.state.now()), raw, content_type
            )
            if retry_num:
                headers["X-Slack-Retry-Num"] = str(retry_num)
                headers["X-Slack-Retry-Reason"] = reason or "unknown_error"
            delivery = Delivery(kind, delivery_id, body, "http", retry_num, reason)
            await self.post(delivery, raw, headers)
        self.deliveries.append(delivery)
        return delivery

    async def _by_socket(
        self, kind: Kind, body: dict[str, Any], delivery_id: str, retry_num: int, reason: str | None
    ) -> Delivery:
        delivery = Delivery(kind, delivery_id, body, "socket", retry_num, reason)
        if not await self.socket.wait_connected(self.connect_timeout):
            delivery.error = "no_connection"
            return delivery
        accepts = kind == "slash_command" or body.get("type") == "view_submission"
        _, ack = await self.socket.send(
            _ENVELOPE_TYPES[kind],
            body,
            accepts_response_payload=accepts,
            timeout=self.ack_timeout,
            retry_attempt=retry_num,
            retry_reason=reason or "",
        )
        delivery.acked, delivery.latency = ack.acked, ack.latency
        delivery.response, delivery.error = ack.payload, ack.error
        return delivery

    async def post(self, delivery: Delivery, raw: bytes, headers: dict[str, str]) -> None:
        """POST to the Request URL, giving up after the ack timeout as Slack does."""
        if self.request_url is None:
            # No app is configured to receive requests: nothing to deliver to, nothing to retry.
            delivery.error = "no_request_url"
            return
        if self._session is None:
            self._session = aiohttp.ClientSession()
        started = time.monotonic()
        try:
            async with self._session.post(
                self.request_url,
                data=raw,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.ack_timeout),
            ) as response:
                answer = await response.read()
                delivery.latency = time.monotonic() - started
                delivery.status = response.status
                delivery.response = _decode(answer)
                delivery.no_retry = response.headers.get("X-Slack-No-Retry") == "1"
        except TimeoutError:
            delivery.error = "http_timeout"
            return
        except aiohttp.ClientError:
            delivery.error = "connection_failed"
            return
        delivery.acked = 200 <= delivery.status < 300
        if not delivery.acked:
            delivery.error = "http_error"
