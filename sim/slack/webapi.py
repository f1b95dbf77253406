"""The Web API front door: `/api/<method>` as slack_sdk calls it.

Arguments arrive in the query string, in form bodies or in JSON bodies depending on the
method and the SDK (slack_sdk sends reactions.add's in the query, chat.postMessage's as JSON),
so all three are merged. Every call is recorded with its answer; rate limits and failures can
be injected per method.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sim.slack.methods import METHODS, Method, SlackError
from sim.slack.state import SlackState

log = logging.getLogger(__name__)


@dataclass
class ApiCall:
    """One Web API call as the emulator saw and answered it."""

    method: str
    args: dict[str, Any]
    at: float
    status: int
    response: dict[str, Any]
    token: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return str(error) if error is not None else None


@dataclass
class _Injection:
    times: int
    error: str
    status: int = 200
    retry_after: int = 0


@dataclass
class _ChannelRate:
    """A token bucket per channel, like Slack's per-channel posting limits."""

    per_second: float
    burst: int
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def wait(self, channel: str, now: float) -> float:
        """0 if a call may go ahead now (and count it), else the seconds until it may."""
        tokens, last = self.buckets.get(channel, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
        if tokens >= 1:
            self.buckets[channel] = (tokens - 1, now)
            return 0.0
        self.buckets[channel] = (tokens, now)
        return (1 - tokens) / self.per_second


def _token(request: web.Request, args: dict[str, Any]) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    token = args.pop("token", None)
    return str(token) if token else None


async def _arguments(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return args
    if request.content_type == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                raise SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            args.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args


class WebApi:
    """Routes `/api/<method>` to the registered methods over one SlackState."""

    def __init__(self, state: SlackState, extra: Mapping[str, Method] | None = None) -> None:
        self.state = state
        self.methods: dict[str, Method] = {**METHODS, **(extra or {})}
        self.calls: list[ApiCall] = []
        self._rate_limits: dict[str, _Injection] = {}
        self._failures: dict[str, _Injection] = {}
        self._throttles: dict[str, _ChannelRate] = {}

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and Retry-After."""
        self._rate_limits[method] = _Injection(times, "ratelimited", 429, retry_after)

    def fail(
        self, method: str, error: str = "internal_error", times: int = 1, status: int = 200
    ) -> None:
        """Answer the next `times` calls of `method` with `error` (HTTP `status`)."""
        self._failures[method] = _Injection(times, error, status)

    def throttle(self, method: str, per_second: float = 1.0, burst: int = 1) -> None:
        """Limit `method` per channel, answering 429 beyond it, as Slack limits posting."""
        self._throttles[method] = _ChannelRate(per_second, burst)

    def _token_kind(self, token: str | None) -> str:
        ws = self.state.workspace
        if token is None:
            raise SlackError("not_authed")
        kinds = {ws.bot_token: "bot", ws.app_token: "app"}
        if token not in kinds:
            raise SlackError("invalid_auth")
        return kinds[token]

    def _refuse_if_injected(self, name: str, args: dict[str, Any]) -> None:
        limited = self._rate_limits.get(name)
        if limited is not None and limited.times > 0:
            limited.times -= 1
            retry_after = {"Retry-After": str(limited.retry_after)}
            raise _Refusal(SlackError("ratelimited"), 429, retry_after)
        rate = self._throttles.get(name)
        if rate is not None:
            wait = rate.wait(str(args.get("channel", "")), self.state.now())
            if wait > 0:
                retry_after = {"Retry-After": str(math.ceil(wait))}
                raise _Refusal(SlackError("ratelimited"), 429, retry_after)
        failure = self._failures.get(name)
        if failure is not None and failure.times > 0:
            failure.times -= 1
            raise _Refusal(SlackError(failure.error), failure.status, {})

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one Web API call (always JSON, HTTP 200 unless rate limited or failed)."""
        name = request.match_info["method"]
        args: dict[str, Any] = {}
        token: str | None = None
        status, headers = 200, dict[str, str]()
        try:
            args = await _arguments(request)
            token = _token(request, args)
            found = self.methods.get(name)
            if found is None:
                raise SlackError("unknown_method")
            if self._token_kind(token) != found.token:
                raise SlackError("not_allowed_token_type")
            self._refuse_if_injected(name, args)
            answer = found.handler(self.state, args)
        except _Refusal as refusal:
            answer, status, headers = refusal.error.body(), refusal.status, refusal.headers
        except SlackError as error:
            answer = error.body()
        except Exception:
            # A bug in the emulator: say so loudly, answer like Slack does when it breaks.
            log.exception("slack emulator: %s failed", name)
            answer, status = {"ok": False, "error": "fatal_error"}, 500
        self.calls.append(ApiCall(name, args, self.state.now(), status, answer, token))
        return web.json_response(answer, status=status, headers=headers)


class _Refusal(Exception):
    def __init__(self, error: SlackError, status: int, headers: dict[str, str]) -> None:
        super().__init__(error.error)
        self.error, self.status, self.headers = error, status, headers
