"""Intake: what starts, joins or closes an incident.

- An alerting tool's post in an incident channel (Alertmanager, PagerDuty, Datadog) opens
  an incident in the post's thread; the same alert again inside the de-duplication window
  only counts as a repeat; a resolved notification closes the incident.
- An Alertmanager webhook (`POST /alerts`) is posted to the channel its namespace maps to,
  then handled the same way.
- A person mentioning the bot asks a question: a new incident in the mention's thread, or a
  follow-up in an incident thread, which looks again with the thread's alert as context.
- Any other reply in an incident thread may be the correction the bot asked for.

The thread gets its "investigating" reply here, at once; the investigation itself is a
job on the queue, so a slow cluster never holds up Slack."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import blocks, feedback
from bot.alerts import Alert, AlertParseError, from_request, from_slack_message, from_webhook
from bot.context import Bot
from bot.incidents import Incident
from bot.jobs import enqueue_investigation

log = logging.getLogger(__name__)
SOURCE_NAMES = {"alertmanager": "Alertmanager", "pagerduty": "PagerDuty", "datadog": "Datadog"}
IGNORED_SUBTYPES = {"message_deleted", "channel_join", "channel_leave", "channel_topic"}


class WebhookError(ValueError):
    """A webhook the bot cannot take, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def on_message(bot: Bot, event: dict[str, Any]) -> None:
    channel = str(event.get("channel", ""))
    if event.get("subtype") in IGNORED_SUBTYPES or not _watched(bot, channel):
        return
    thread = event.get("thread_ts")
    if thread and thread != event.get("ts"):
        if event.get("user") and not event.get("bot_id"):
            await feedback.on_thread_reply(bot, event)
        return
    alert = from_slack_message(event, bot.config.known_namespaces())
    if alert is None:
        return
    ts = str(event.get("ts") or (event.get("message") or {}).get("ts") or "")
    await take_alert(bot, alert, channel, ts)


async def on_mention(bot: Bot, event: dict[str, Any]) -> None:
    channel, user = str(event.get("channel", "")), str(event.get("user", ""))
    ts = str(event.get("ts", ""))
    thread = str(event.get("thread_ts") or ts)
    parent = await bot.incidents.for_message(channel, thread) if thread != ts else None
    namespaces = bot.config.known_namespaces()
    try:
        alert = from_request(str(event.get("text", "")), user, namespaces)
    except AlertParseError:
        await bot.slack.chat_postMessage(
            channel=channel,
            thread_ts=thread,
            text="Ask me about an alert or a service, e.g. `@AOI why is frontend failing in "
            "test-hotel-reservation?`",
        )
        return
    if parent is not None:
        alert = _follow_up(alert, parent)
    await take_alert(bot, alert, channel, thread)


async def on_command(bot: Bot, command: dict[str, Any]) -> None:
    """`/aoi <question>`: the question, posted as the thread to answer it in."""
    channel, user = str(command.get("channel_id", "")), str(command.get("user_id", ""))
    text = str(command.get("text", ""))
    alert = from_request(text, user, bot.config.known_namespaces())
    posted = await bot.slack.chat_postMessage(
        channel=channel, text=f"<@{user}> asked: {blocks.escape(text)}"
    )
    await take_alert(bot, alert, channel, str(posted["ts"]))


async def on_webhook(bot: Bot, payload: object) -> dict[str, Any]:
    """Take one Alertmanager notification; what happened, for the HTTP answer."""
    try:
        alert = from_webhook(payload)
    except AlertParseError as exc:
        raise WebhookError(400, str(exc)) from None
    if alert.status == "resolved":
        incident = await bot.incidents.for_alert(alert.fingerprint)
        if incident is not None:
            await feedback.resolve(bot, incident, "Alertmanager reports the alert resolved")
        return {"status": "resolved", "incident": incident.id if incident else None}
    channel = bot.config.channel_for(alert.namespace)
    if channel is None:
        raise WebhookError(
            422, f"no incident channel for namespace {alert.namespace!r} (AOI_ALERT_CHANNELS)"
        )
    # Claimed before posting, so two replicas given the same notification post it once.
    incident = bot.incidents.new(alert, channel, "")
    owner = await bot.incidents.claim(alert.fingerprint, incident.id, bot.config.dedupe_window_s)
    if owner is not None:
        await bot.incidents.repeated(owner)
        bot.metrics.duplicates.labels("alert").inc()
        return {"status": "duplicate", "incident": owner}
    try:
        posted = await bot.slack.chat_postMessage(channel=channel, **blocks.alert_message(alert))
    except SlackApiError as exc:
        await bot.incidents.close_alert(alert.fingerprint)
        raise WebhookError(
            502, f"Slack refused the alert post: {exc.response.get('error')}"
        ) from None
    incident.thread_ts = str(posted["ts"])
    await _open(bot, incident)
    return {"status": "investigating", "incident": incident.id}


async def take_alert(bot: Bot, alert: Alert, channel: str, ts: str) -> Incident | None:
    """Open (or join, or close) the alert's incident, rooted at message `ts`."""
    if alert.status == "resolved":
        found = await bot.incidents.for_alert(alert.fingerprint)
        if found is not None:
            who = SOURCE_NAMES.get(alert.source, alert.source)
            await feedback.resolve(bot, found, f"{who} reports the alert resolved")
        return found
    incident = bot.incidents.new(alert, channel, ts)
    owner = await bot.incidents.claim(alert.fingerprint, incident.id, bot.config.dedupe_window_s)
    if owner is not None:
        bot.metrics.duplicates.labels("alert").inc()
        repeated = await bot.incidents.repeated(owner)
        if repeated is not None and repeated.thread_ts != ts:
            await _mark_repeat(bot, channel, ts, repeated)
        return repeated
    await _open(bot, incident)
    return incident


async def _open(bot: Bot, incident: Incident) -> None:
    """The thread's immediate reply (later edited with progress), then the job."""
    reply = await bot.slack.chat_postMessage(
        channel=incident.channel,
        thread_ts=incident.thread_ts,
        **blocks.investigating_message(incident.alert, bot.config.agent),
    )
    incident.progress_ts = str(reply["ts"])
    await bot.incidents.create(incident)
    await bot.incidents.index(incident.id, incident.channel, incident.progress_ts)
    bot.metrics.incidents.labels(incident.alert.source).inc()
    await enqueue_investigation(bot.queue, incident.id)


def _watched(bot: Bot, channel: str) -> bool:
    chosen = bot.config.incident_channels
    return not chosen or channel in chosen


def _follow_up(alert: Alert, parent: Incident) -> Alert:
    """A question asked in an incident's thread is about that incident: its namespace and
    labels unless the question names others, and its alert as context."""
    labels = {**parent.alert.labels, **alert.labels}
    summary = f"Asked in the thread of: {parent.alert.title}. {parent.alert.summary}".strip()
    return alert.model_copy(update={"labels": labels, "summary": summary})


async def _mark_repeat(bot: Bot, channel: str, ts: str, incident: Incident) -> None:
    """The repeat gets a 🔁 and a pointer to the thread that is on it."""
    try:
        await bot.slack.reactions_add(channel=channel, timestamp=ts, name="repeat")
        link = await bot.slack.chat_getPermalink(
            channel=incident.channel, message_ts=incident.thread_ts
        )
        await bot.slack.chat_postMessage(
            channel=channel,
            thread_ts=ts,
            text=f"Same alert as <{link['permalink']}|this thread> (seen {incident.repeats + 1} "
            "times); I am on it there.",
        )
    except SlackApiError as exc:
        log.warning("cannot mark a repeated alert: %s", exc.response.get("error"))
