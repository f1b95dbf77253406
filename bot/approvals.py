"""The approval flow, from a click on a fix card to the Executor and back:

1. the button's value must be ours (HMAC), unexpired, and name the fix as it was proposed;
2. the fix must still be open (not approved, running, done or rejected already);
3. the clicker must be allowed by the policy for that action class, in that channel's
   namespaces, and not be the one who asked (unless the policy lets requesters approve);
4. one Redis lock per fix, so a double click or two replicas run it once;
5. the Executor dry-runs, applies and verifies; the card says who approved what and how it
   went; the trajectory and the audit log keep every step.

Every refusal is an ephemeral message to the clicker saying why; nothing runs. A Reject
opens a modal asking what is wrong; its answer is kept with the trajectory."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from agents.approval import ApprovalError, approve
from agents.executor import Executor
from agents.models import Approval, Execution, Feedback, Trajectory
from bot import blocks
from bot.context import Bot
from bot.directory import approver_groups
from bot.incidents import FixCard, Incident, IncidentNotFound
from bot.investigation import target_for
from bot.redis_store import key
from bot.tokens import ActionToken, TokenError, fix_digest, verify
from policies.audit import AuditEvent

log = logging.getLogger(__name__)
LOCK_S = 900  # longer than any dry run + apply + verification


class Refusal(Exception):
    """A click that may not be honoured, with what to tell the clicker."""


async def on_approve(bot: Bot, body: dict[str, Any], action: dict[str, Any]) -> None:
    user, channel, thread = _who_where(body)
    try:
        token, incident, card = await _open_fix(bot, action.get("value", ""), "approve")
        card = _with_clicked_card(card, body)
        record = await _authorize(bot, user, incident, card)
        await _lock(bot, token, user)
        await _claim(bot, incident, card.index, user)
    except Refusal as refusal:
        await _refuse(bot, user, channel, thread, str(refusal), action.get("value", ""))
        return
    await bot.audit.record(
        AuditEvent(
            actor=user,
            action="approval",
            command=card.action.command,
            namespace=incident.namespace,
            channel=incident.channel,
            thread=incident.thread_ts,
            incident=incident.id,
            decision="approved",
            reason=f"{record.action_class}, expires {record.expires:%H:%M:%S} UTC",
        )
    )
    bot.metrics.clicks.labels("approved").inc()
    await _show(bot, incident, card, "running", user)
    executor = Executor(target_for(bot, incident), bot.config.policy)
    execution = await asyncio.to_thread(executor.execute, record)
    if execution.applied:
        execution = await asyncio.to_thread(executor.verify, execution, 120)
    state = "applied" if execution.applied else "failed"
    await _finish(bot, incident, card.index, state, user, execution)
    await bot.audit.record(
        AuditEvent(
            actor="executor",
            action="execution",
            command=card.action.command,
            role="executor",
            namespace=incident.namespace,
            channel=incident.channel,
            thread=incident.thread_ts,
            incident=incident.id,
            decision="ok" if execution.applied else "failed",
            reason=execution.output[:500],
        )
    )
    if execution.applied:
        await bot.audit.record(
            AuditEvent(
                actor="executor",
                action="verification",
                command=card.action.command,
                role="probe",
                namespace=incident.namespace,
                incident=incident.id,
                decision="ok" if execution.verified else "failed",
                reason=execution.verification,
            )
        )
    bot.metrics.executions.labels(state).inc()

    def keep(trajectory: Trajectory) -> None:
        trajectory.approvals.append(
            Approval(
                approver=user,
                command=card.action.command,
                action_class=record.action_class,
                approved=True,
            )
        )
        trajectory.executions.append(execution)
        if not execution.applied or execution.verified is False:
            trajectory.outcome = "failed"

    await bot.trajectories.update(incident.trajectory_id, keep)
    # Last: whoever reads "applied" on the card finds it in the audit log and the trajectory.
    await _show(bot, incident, card, state, user, execution, reason=execution.output)


async def on_reject(bot: Bot, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Ask what is wrong, in a modal; the fix stays open until the reason is submitted."""
    user, channel, thread = _who_where(body)
    value = action.get("value", "")
    try:
        await _open_fix(bot, value, "reject")
    except Refusal as refusal:
        await _refuse(bot, user, channel, thread, str(refusal), value)
        return
    await bot.slack.views_open(
        trigger_id=body["trigger_id"], view=blocks.rejection_modal(private_metadata=value)
    )


async def on_reject_reason(bot: Bot, body: dict[str, Any], view: dict[str, Any]) -> None:
    user = body["user"]["id"]
    value = view.get("private_metadata", "")
    state = view.get("state", {}).get("values", {})
    reason = str(((state.get("reason") or {}).get("reason") or {}).get("value") or "").strip()
    try:
        token, incident, card = await _open_fix(bot, value, "reject")
    except Refusal as refusal:
        await _refuse(bot, user, None, None, str(refusal), value)
        return
    try:
        await _lock(bot, token, user)
    except Refusal as refusal:
        await _refuse(bot, user, incident.channel, incident.thread_ts, str(refusal), value)
        return
    await _finish(bot, incident, card.index, "rejected", user, None, reason)
    await bot.audit.record(
        AuditEvent(
            actor=user,
            action="rejection",
            command=card.action.command,
            namespace=incident.namespace,
            channel=incident.channel,
            thread=incident.thread_ts,
            incident=incident.id,
            decision="rejected",
            reason=reason,
        )
    )
    bot.metrics.clicks.labels("rejected").inc()

    def keep(trajectory: Trajectory) -> None:
        trajectory.feedback.append(Feedback(user=user, kind="rejection", text=reason))
        trajectory.approvals.append(
            Approval(
                approver=user,
                command=card.action.command,
                action_class=card.action.action_class or "",
                approved=False,
                reason=reason,
            )
        )
        if not trajectory.executions:
            trajectory.outcome = "rejected"

    await bot.trajectories.update(incident.trajectory_id, keep)
    await _show(bot, incident, card, "rejected", user, reason=reason)


# --- checks --------------------------------------------------------------------------------


async def _open_fix(bot: Bot, value: str, decision: str) -> tuple[ActionToken, Incident, FixCard]:
    try:
        token = verify(value, bot.config.approval_secret)
    except TokenError as exc:
        raise Refusal(str(exc).capitalize()) from None
    if token.decision != decision:
        raise Refusal("This button is not for that decision")
    try:
        incident = await bot.incidents.get(token.incident)
    except IncidentNotFound:
        raise Refusal("This fix belongs to an incident I no longer know") from None
    card = next((c for c in incident.fixes if c.index == token.index), None)
    if card is None or fix_digest(card.action) != token.digest:
        raise Refusal("This button is for a fix that is not the one proposed here")
    if card.state != "proposed":
        by = f" by <@{card.actor}>" if card.actor else ""
        raise Refusal(f"This fix was already {card.state}{by}; nothing more was run")
    return token, incident, card


async def _authorize(bot: Bot, user: str, incident: Incident, card: FixCard) -> Any:
    groups = await bot.directory.groups_of(user, approver_groups(bot.config.policy))
    try:
        return approve(
            card.action.command,
            user,
            groups,
            requester=incident.requester,
            policy=bot.config.policy,
            channel=incident.channel,
            manifest=card.action.manifest,
            runbook=card.action.runbook,
        )
    except ApprovalError as exc:
        raise Refusal(f"You may not approve this fix: {exc}") from None


async def _lock(bot: Bot, token: ActionToken, user: str) -> None:
    """One decision per fix, whichever replica gets the click first."""
    won = await bot.redis.set(
        key("lock", "fix", token.incident, str(token.index)), user, nx=True, ex=LOCK_S
    )
    if not won:
        holder = await bot.redis.get(key("lock", "fix", token.incident, str(token.index)))
        raise Refusal(f"<@{holder}> is already acting on this fix; nothing more was run")


async def _claim(bot: Bot, incident: Incident, index: int, user: str) -> None:
    def claim(i: Incident) -> None:
        card = next(c for c in i.fixes if c.index == index)
        if card.state != "proposed":
            raise Refusal(f"This fix was already {card.state}")
        card.state, card.actor = "running", user

    await bot.incidents.update(incident.id, claim)


async def _finish(
    bot: Bot,
    incident: Incident,
    index: int,
    state: str,
    user: str,
    execution: Execution | None,
    reason: str = "",
) -> None:
    def done(i: Incident) -> None:
        card = next(c for c in i.fixes if c.index == index)
        card.state, card.actor, card.reason = state, user, reason  # type: ignore[assignment]
        card.execution = execution

    await bot.incidents.update(incident.id, done)


# --- Slack ---------------------------------------------------------------------------------


def _who_where(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return body["user"]["id"], channel, message.get("thread_ts") or container.get("message_ts")


def _with_clicked_card(card: FixCard, body: dict[str, Any]) -> FixCard:
    """A click can beat the recording of its card's ts; the click itself says which it is."""
    if card.card_ts is not None:
        return card
    clicked = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get(
        "ts"
    )
    return card.model_copy(update={"card_ts": clicked}) if clicked else card


async def _show(
    bot: Bot,
    incident: Incident,
    card: FixCard,
    state: Any,
    user: str,
    execution: Execution | None = None,
    reason: str = "",
) -> None:
    if card.card_ts is None:
        return
    message = blocks.fix_card_result(
        card.action, index=card.index, state=state, actor=user, execution=execution, reason=reason
    )
    try:
        await bot.slack.chat_update(channel=incident.channel, ts=card.card_ts, **message)
    except SlackApiError as exc:
        log.warning("cannot update fix card: %s", exc.response.get("error"))


async def _refuse(
    bot: Bot, user: str, channel: str | None, thread: str | None, why: str, value: str
) -> None:
    bot.metrics.clicks.labels("refused").inc()
    await bot.audit.record(
        AuditEvent(actor=user, action="approval", channel=channel, decision="rejected", reason=why)
    )
    if channel is None:
        log.info("refused %s (no channel to tell them in): %s", user, why)
        return
    try:
        await bot.slack.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread, text=f"{why}."
        )
    except SlackApiError as exc:
        log.warning("cannot tell %s why: %s", user, exc.response.get("error"))
