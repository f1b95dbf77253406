"""An OpenAI-compatible chat server whose answers are scripted, for what a real model cannot
be made to do on demand: answer 429 with Retry-After, fail with a 5xx, return invalid JSON
once, or follow a fixed investigation plan so the loop's control flow can be asserted. It
speaks the real protocol (the `openai` client is used unchanged against it); everything a
real model can show is tested against the real vLLM server instead."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Scripted:
    """One answer: a message content, or an HTTP error status with headers."""

    content: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Script:
    answers: list[Scripted] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def say(self, *contents: str | dict[str, Any]) -> None:
        for c in contents:
            self.answers.append(Scripted(c if isinstance(c, str) else json.dumps(c)))

    def fail(self, status: int, **headers: str) -> None:
        self.answers.append(Scripted(status=status, headers=headers))


def _app(script: Script) -> web.Application:
    async def models(_: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": "scripted", "object": "model"}]}
        )

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        script.requests.append(body)
        script.times.append(time.monotonic())
        if not script.answers:
            return web.json_response({"error": {"message": "script exhausted"}}, status=500)
        answer = script.answers.pop(0)
        if answer.status != 200:
            error = {"error": {"message": f"scripted {answer.status}", "type": "server_error"}}
            return web.json_response(error, status=answer.status, headers=answer.headers)
        return web.json_response(
            {
                "id": f"chatcmpl-{len(script.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "scripted"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": 10,
                    "completion_tokens": 5,
                    "total_tokens": 15,
                },
            }
        )

    app = web.Application()
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat)
    return app


@contextmanager
def scripted_server() -> Iterator[tuple[str, Script]]:
    """Serve a fresh script on a free port in a background thread; yield (base_url, script)."""
    script = Script()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_app(script))
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/v1", script
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
