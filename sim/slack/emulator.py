"""SlackEmulator: a local Slack that the real slack_sdk and slack_bolt talk to.

It serves the Web API, Socket Mode and response_urls on one loopback port, and plays Slack
towards the app: signed events and interactions to the app's Request URL (or envelopes over
Socket Mode), with Slack's retries. Use it inside a loop (`async with SlackEmulator() as
slack:`) or, for synchronous callers, from a thread of its own (`start_in_thread`).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import web

from sim.clock import SimClock
from sim.slack.actors import SlackActors
from sim.slack.delivery import Deliverer, Delivery, Kind, Mode
from sim.slack.methods import Method
from sim.slack.observe import MessageView, render_thread, view_of
from sim.slack.payloads import url_verification
from sim.slack.response_urls import ResponsePost, ResponseUrls
from sim.slack.signing import signed_headers
from sim.slack.socket_mode import SocketModeServer
from sim.slack.state import SlackState
from sim.slack.webapi import ApiCall, WebApi
from sim.slack.workspace import Workspace

T = TypeVar("T")


class SlackEmulator(SlackActors):
    """A local Slack workspace with its Web API, Events API delivery and Socket Mode."""

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        request_url: str | None = None,
        delivery: Mode = "http",
        clock: SimClock | None = None,
        ack_timeout: float = 3.0,
        retry_delays: Sequence[float] = (0.0, 1.0, 5.0),
        auto_retry: bool = True,
        trigger_ttl: float = 3.0,
        echo_app_events: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """`retry_delays`: Slack retries after about 0 s, 1 min and 5 min; here in seconds.
        `echo_app_events`: deliver the app's own posts, edits and reactions back to it as
        events, as Slack does (bolt drops them; an app that does not would loop)."""
        self.workspace = (workspace or Workspace()).model_copy(deep=True)
        self.clock = clock or SimClock.wall()
        self.state = SlackState(self.workspace, self.clock, trigger_ttl)
        self.socket_mode = SocketModeServer(self.state, lambda: self.ws_url)
        self.deliverer = Deliverer(
            self.state,
            self.socket_mode,
            mode=delivery,
            ack_timeout=ack_timeout,
            retry_delays=retry_delays,
            auto_retry=auto_retry,
        )
        self.deliverer.request_url = request_url
        self.response_urls = ResponseUrls(self.state, lambda: f"{self.base_url}/hooks")
        connections = Method("apps.connections.open", self.socket_mode.open_connection, "app")
        self.webapi = WebApi(self.state, {connections.name: connections})
        if echo_app_events:
            self.state.event_sink = lambda event: self.deliverer.in_background(
                self.deliver_event(event)
            )
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> SlackEmulator:
        """Serve on the loopback interface (an ephemeral port unless one was given)."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.webapi.handle)
        app.router.add_get("/socket-mode/link/", self.socket_mode.handle)
        app.router.add_post("/hooks/{path:.+}", self.response_urls.handle)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((self._host, self._port))
        self._port = listener.getsockname()[1]
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, listener).start()
        return self

    async def stop(self) -> None:
        """Stop delivering and serving; in-flight retries are abandoned."""
        await self.deliverer.close()
        await self.socket_mode.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @classmethod
    def start_in_thread(cls, workspace: Workspace | None = None, **options: Any) -> EmulatorThread:
        """Run an emulator on an event loop in a daemon thread, for synchronous callers."""
        return EmulatorThread(lambda: cls(workspace, **options))

    # --- where it is -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        """The `base_url` for slack_sdk's WebClient (it ends with a slash, as it must)."""
        return f"{self.base_url}/api/"

    @property
    def ws_url(self) -> str:
        return f"ws://{self._host}:{self._port}/socket-mode"

    @property
    def request_url(self) -> str | None:
        """The app's Request URL (e.g. `http://127.0.0.1:PORT/slack/events`)."""
        return self.deliverer.request_url

    @request_url.setter
    def request_url(self, url: str | None) -> None:
        self.deliverer.request_url = url

    @property
    def bot_token(self) -> str:
        return self.workspace.bot_token

    @property
    def app_token(self) -> str:
        return self.workspace.app_token

    @property
    def signing_secret(self) -> str:
        return self.workspace.signing_secret

    # --- Web API controls --------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429, `Retry-After: retry_after`."""
        self.webapi.rate_limit(method, times, retry_after)

    def fail(
        self, method: str, error: str = "internal_error", times: int = 1, status: int = 200
    ) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self.webapi.fail(method, error, times, status)

    def throttle(self, method: str, per_second: float = 1.0, burst: int = 1) -> None:
        """Rate-limit `method` per channel from now on (e.g. chat.update at 1/s)."""
        self.webapi.throttle(method, per_second, burst)

    # --- acting as Slack ---------------------------------------------------------------

    def signed_headers(
        self,
        body: bytes,
        timestamp: int | None = None,
        content_type: str = "application/json",
        secret: str | None = None,
    ) -> dict[str, str]:
        """Headers signing `body` as Slack would (for forged or stale requests in tests)."""
        when = int(self.state.now()) if timestamp is None else timestamp
        return signed_headers(secret or self.signing_secret, when, body, content_type)

    async def send_raw(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """POST `body` with exactly `headers` to the Request URL; never retried."""
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        shown = decoded if isinstance(decoded, dict) else {}
        delivery = Delivery("raw", self.state.ids.new("Raw"), shown, "http")
        await self.deliverer.post(delivery, body, dict(headers))
        self.deliverer.deliveries.append(delivery)
        return delivery

    async def redeliver(
        self, event_id: str, retry_num: int = 1, reason: str = "http_timeout"
    ) -> Delivery:
        """Send an event again as Slack's retry number `retry_num` (headers and all)."""
        first = next((d for d in self.deliverer.deliveries if d.id == event_id), None)
        if first is None:
            raise ValueError(f"no event {event_id} was delivered")
        return await self.deliverer.attempt(first.kind, first.body, event_id, retry_num, reason)

    async def verify_url(self) -> bool:
        """Slack's url_verification handshake: does the app echo the challenge?"""
        challenge = uuid.uuid4().hex
        body = url_verification(self.workspace, challenge)
        kind: Kind = "url_verification"
        delivery = await self.deliverer.attempt(kind, body, challenge, 0, None)
        response = delivery.response
        return isinstance(response, dict) and response.get("challenge") == challenge

    async def disconnect_sockets(self, reason: str = "refresh_requested") -> None:
        """Tell Socket Mode clients to reconnect, as Slack does from time to time."""
        await self.socket_mode.disconnect(reason)

    # --- observation -------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Web API calls so far, oldest first, optionally of one method."""
        return [c for c in self.webapi.calls if method is None or c.method == method]

    def deliveries(self, kind: Kind | None = None) -> list[Delivery]:
        """Every attempt to reach the app so far (retries included), oldest first."""
        return [d for d in self.deliverer.deliveries if kind is None or d.kind == kind]

    @property
    def response_posts(self) -> list[ResponsePost]:
        return list(self.response_urls.posts)

    def messages(self, channel: str) -> list[MessageView]:
        """The channel as people see it: top-level messages, oldest first."""
        ch = self.workspace.channel(channel)
        key = ch.id if ch else channel
        return [view_of(self.workspace, key, m) for m in self.state.top_level(key)]

    def thread(self, channel: str, ts: str) -> list[MessageView]:
        """A thread as it is now: its parent, then its replies, oldest first."""
        ch = self.workspace.channel(channel)
        key = ch.id if ch else channel
        return [view_of(self.workspace, key, m) for m in self.state.thread(key, ts)]

    def ephemerals(self, user: str | None = None) -> list[MessageView]:
        """Ephemeral messages (to `user`, or to anyone), oldest first."""
        return [
            view_of(self.workspace, e.channel, e.message, ephemeral_to=e.user)
            for e in self.state.ephemerals
            if user is None or e.user == user
        ]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """A modal as it is now, or None if the app never opened it."""
        opened = self.state.views.get(view_id)
        return dict(opened.view, is_open=opened.is_open) if opened else None

    def open_views(self, user: str | None = None) -> list[dict[str, Any]]:
        """The modals open now (for `user`, or anyone), oldest first."""
        return [
            dict(v.view, is_open=True)
            for v in self.state.views.values()
            if v.is_open and (user is None or v.user == user)
        ]

    def transcript(self, channel: str, ts: str) -> str:
        """A thread as plain text, Block Kit rendered (buttons as `[Approve]`)."""
        return render_thread(self.workspace, self.thread(channel, ts))

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.02
    ) -> T:
        """Poll until `predicate()` is truthy and return it (listeners run after the ack)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() >= deadline:
                raise TimeoutError(f"Slack emulator: condition not met within {timeout} s")
            await asyncio.sleep(interval)

    async def idle(self) -> None:
        """Wait until no background delivery (echoed events, retries) is in flight."""
        await self.deliverer.idle()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.state.now(), UTC)


class EmulatorThread:
    """A SlackEmulator running in a thread of its own; `run` hands it coroutines."""

    def __init__(self, build: Callable[[], SlackEmulator]) -> None:
        self._loop = asyncio.new_event_loop()
        ready: asyncio.Future[SlackEmulator] = self._loop.create_future()

        async def boot() -> None:
            try:
                ready.set_result(await build().start())
            except Exception as exc:  # surfaced to the caller below
                ready.set_exception(exc)

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.create_task(boot())
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="slack-emulator", daemon=True)
        self._thread.start()
        self.emulator: SlackEmulator = self.run(_await(ready))

    @property
    def api_url(self) -> str:
        return self.emulator.api_url

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 60.0) -> T:
        """Run a coroutine (e.g. `emulator.post_message(...)`) on the emulator's loop."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function (e.g. reading state) on the emulator's loop."""

        async def call() -> T:
            return fn()

        return self.run(call())

    def stop(self) -> None:
        """Stop the emulator and its thread."""
        if not self._thread.is_alive():
            return
        self.run(self.emulator.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> EmulatorThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable
