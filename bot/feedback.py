"""Feedback from the thread onto its trajectory: 👍/👎 (and the configured emoji) on the
bot's messages; after a 👎 the bot asks what was wrong and keeps the person's next reply in
the thread as a correction; ✅ on the alert, or a resolved notification, closes the outcome.
Taking a reaction back takes its label back."""

from __future__ import annotations

import logging
from typing import Any

from agents.models import Feedback, Trajectory
from bot import blocks
from bot.context import Bot
from bot.incidents import Incident
from bot.redis_store import key

log = logging.getLogger(__name__)
CORRECTION_WINDOW_S = 24 * 3600


async def on_reaction(bot: Bot, event: dict[str, Any], added: bool) -> None:
    item = event.get("item") or {}
    user, name = event.get("user", ""), event.get("reaction", "").split("::")[0]
    if item.get("type") != "message" or not user or user == bot.bot_user_id:
        return
    channel, ts = item.get("channel", ""), item.get("ts", "")
    incident = await bot.incidents.for_message(channel, ts)
    if incident is None:
        return  # not a message of an incident thread
    emoji = bot.config.emoji
    if name in emoji.resolved and ts == incident.thread_ts:
        if added:
            await resolve(bot, incident, f"marked resolved by <@{user}>", user)
        return
    kind = (
        "thumbs_up"
        if name in emoji.thumbs_up
        else "thumbs_down"
        if name in emoji.thumbs_down
        else None
    )
    if kind is None:
        return
    if added:
        await _label(bot, incident, Feedback(user=user, kind=kind, text=f"on message {ts}"))
        bot.metrics.feedback.labels(kind).inc()
        if kind == "thumbs_down":
            await _ask_what_was_wrong(bot, incident, user)
    else:
        await _unlabel(bot, incident, user, kind, ts)


async def on_thread_reply(bot: Bot, event: dict[str, Any]) -> bool:
    """A person's reply in an incident thread: the correction we asked them for, if we did.
    True when it was taken as one."""
    user, channel = event.get("user", ""), event.get("channel", "")
    thread = event.get("thread_ts")
    if not user or not thread:
        return False
    incident = await bot.incidents.for_message(channel, thread)
    if incident is None:
        return False
    waiting = key("correction", incident.id, user)
    if not await bot.redis.delete(waiting):
        return False
    text = str(event.get("text", "")).strip()
    await _label(bot, incident, Feedback(user=user, kind="correction", text=text))
    bot.metrics.feedback.labels("correction").inc()
    await bot.slack.chat_postMessage(
        channel=channel,
        thread_ts=incident.thread_ts,
        text=f"Thanks <@{user}>, I kept your correction with this investigation; "
        "it goes into the next training round.",
    )
    return True


async def resolve(bot: Bot, incident: Incident, why: str, user: str | None = None) -> None:
    """Close the incident: its thread says so, its trajectory's outcome is resolved."""
    if incident.status == "resolved":
        return

    def closed(i: Incident) -> None:
        i.status = "resolved"

    await bot.incidents.update(incident.id, closed)
    await bot.incidents.close_alert(incident.alert.fingerprint)

    def outcome(trajectory: Trajectory) -> None:
        if trajectory.outcome in ("open", "unknown"):
            trajectory.outcome = "resolved"

    await bot.trajectories.update(incident.trajectory_id, outcome)
    await bot.slack.chat_postMessage(
        channel=incident.channel, thread_ts=incident.thread_ts, text=f"✅ Resolved: {why}."
    )


async def _ask_what_was_wrong(bot: Bot, incident: Incident, user: str) -> None:
    await bot.redis.set(key("correction", incident.id, user), "1", ex=CORRECTION_WINDOW_S)
    await bot.slack.chat_postMessage(
        channel=incident.channel, thread_ts=incident.thread_ts, **blocks.ask_for_correction(user)
    )


async def _label(bot: Bot, incident: Incident, feedback: Feedback) -> None:
    def add(trajectory: Trajectory) -> None:
        trajectory.feedback.append(feedback)

    if await bot.trajectories.update(incident.trajectory_id, add) is None:
        log.info("feedback on %s before its trajectory was saved: kept nowhere", incident.id)


async def _unlabel(bot: Bot, incident: Incident, user: str, kind: str, ts: str) -> None:
    def remove(trajectory: Trajectory) -> None:
        trajectory.feedback = [
            f
            for f in trajectory.feedback
            if not (f.user == user and f.kind == kind and f.text == f"on message {ts}")
        ]

    await bot.trajectories.update(incident.trajectory_id, remove)
