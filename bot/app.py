"""The Slack app: one bolt `AsyncApp`, its middleware, and every handler registered here,
in one place. Bolt checks each request's signature and timestamp (401 otherwise) and acks
events before their listener runs; interactive handlers ack first thing. Slack's retries of
an event (`X-Slack-Retry-Num`, the same `event_id`) are acked and dropped by the middleware,
so a slow moment never starts a second investigation. Any error a handler raises reaches
the global error handler, which tells the person (when there is one) that nothing changed."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from bot import approvals, feedback, intake
from bot.blocks import APPROVE_ACTION, REJECT_ACTION, REJECT_CALLBACK
from bot.context import Bot
from bot.redis_store import key

log = logging.getLogger(__name__)
EVENT_MEMORY_S = 3600  # Slack retries within minutes; an hour is plenty
HELP = (
    "I investigate alerts in incident channels, read-only, and propose fixes that run only "
    "when an on-call engineer approves them. Mention me with a question "
    "(`@AOI why is checkout failing in astronomy-shop?`), or `/aoi <question>`. "
    "React 👍 or 👎 to my findings; after a 👎, tell me in the thread what was wrong."
)


def build_app(bot: Bot) -> AsyncApp:
    app = AsyncApp(
        client=bot.slack,
        signing_secret=bot.config.signing_secret,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    async def drop_retries(req: AsyncBoltRequest, resp: BoltResponse, next_: Any) -> Any:
        body = req.body or {}
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        retry = next(iter(req.headers.get("x-slack-retry-num") or []), None)
        if event_id:
            first = await bot.redis.set(
                key("slack-event", event_id), "1", nx=True, ex=EVENT_MEMORY_S
            )
            if not first:
                bot.metrics.duplicates.labels("slack_retry").inc()
                log.info(
                    "event %s seen before (retry %s): acked, not handled again", event_id, retry
                )
                return BoltResponse(status=200, body="")
        bot.metrics.requests.labels(_kind(body)).inc()
        return await next_()

    @app.event("message")
    async def message(event: dict[str, Any]) -> None:
        async with bot.handling():
            await intake.on_message(bot, event)

    @app.event("app_mention")
    async def mention(event: dict[str, Any]) -> None:
        async with bot.handling():
            await intake.on_mention(bot, event)

    @app.event("reaction_added")
    async def reaction_added(event: dict[str, Any]) -> None:
        async with bot.handling():
            await feedback.on_reaction(bot, event, added=True)

    @app.event("reaction_removed")
    async def reaction_removed(event: dict[str, Any]) -> None:
        async with bot.handling():
            await feedback.on_reaction(bot, event, added=False)

    @app.action(APPROVE_ACTION)
    async def approve_clicked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        async with bot.handling():
            await approvals.on_approve(bot, body, action)

    @app.action(REJECT_ACTION)
    async def reject_clicked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        async with bot.handling():
            await approvals.on_reject(bot, body, action)

    @app.view(REJECT_CALLBACK)
    async def reject_reason(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()
        async with bot.handling():
            await approvals.on_reject_reason(bot, body, view)

    @app.command("/aoi")
    async def command(ack: AsyncAck, command: dict[str, Any]) -> None:
        text = str(command.get("text", "")).strip()
        if not text or text == "help":
            await ack(text=HELP, response_type="ephemeral")
            return
        await ack()
        async with bot.handling():
            await intake.on_command(bot, command)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.exception("a Slack handler failed", exc_info=error)
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        if not user or not channel:
            return
        try:
            await bot.slack.chat_postEphemeral(
                channel=channel,
                user=user,
                text=f"Something went wrong on my side handling that ({type(error).__name__}); "
                "nothing was changed. The details are in the bot's log.",
            )
        except SlackApiError:
            log.warning("could not tell %s about the error either", user)

    return app


def _kind(body: dict[str, Any]) -> str:
    if body.get("type") == "event_callback":
        return str((body.get("event") or {}).get("type", "event"))
    if body.get("command"):
        return "command"
    return str(body.get("type") or "unknown")
