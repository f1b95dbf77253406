"""The one thread message that shows an investigation's progress, edited as the agent works.
Slack allows about one `chat.update` per second per channel: steps that arrive between two
edits are folded into the next one, and a 429 is retried after its `Retry-After` by the SDK's
retry handler. The last state (done, or failed) is always written."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks

log = logging.getLogger(__name__)


class ProgressMessage:
    def __init__(
        self, client: AsyncWebClient, channel: str, ts: str, interval_s: float = 1.2
    ) -> None:
        self.client = client
        self.channel = channel
        self.ts = ts
        self.interval_s = interval_s
        self.steps: list[str] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.edits = 0

    def add(self, step: str) -> None:
        """Record a step; it shows within `interval_s`."""
        self.steps.append(step)
        self._changed.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._editor())

    def threadsafe(self) -> Callable[[str], None]:
        """`add` for an agent running in a worker thread."""
        loop = asyncio.get_running_loop()

        def add(step: str) -> None:
            loop.call_soon_threadsafe(self.add, step)

        return add

    async def finish(self, failed: str | None = None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._edit(blocks.progress_message(self.steps, done=failed is None, failed=failed))

    async def _editor(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            await self._edit(blocks.progress_message(self.steps))
            await asyncio.sleep(self.interval_s)

    async def _edit(self, message: blocks.Message) -> None:
        try:
            await self.client.chat_update(channel=self.channel, ts=self.ts, **message)
            self.edits += 1
        except SlackApiError as exc:
            # Progress is a courtesy: losing an edit must not lose the investigation.
            log.warning("progress edit failed: %s", exc.response.get("error"))
