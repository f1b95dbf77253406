"""One investigation, as a job a worker runs: the agent looks at the incident's namespace
through the read-only Probe, with its progress edited into the thread; the finding is posted
in Block Kit; each proposed fix gets a card with its dry run and signed Approve / Reject
buttons; the trajectory is saved.

A job lost with its worker runs again. The trajectory is saved before anything is posted,
and every posted message is recorded on the incident, so a retry reuses the investigation
it finds and posts only what is missing: one finding, one card per fix, one trajectory."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from agents.executor import Executor
from agents.llm import LLMClient, LLMError
from agents.llm_agent import LLMAgent
from agents.models import Trajectory
from agents.rules import RulesAgent
from agents.target import ClusterTarget
from bot import blocks
from bot.context import Bot
from bot.incidents import FixCard, Incident
from bot.progress import ProgressMessage
from bot.redis_store import key
from bot.tokens import ActionToken, fix_digest, sign

log = logging.getLogger(__name__)
CURRENT_MODEL = key("model", "current")  # written by trainer.registry.set_current


async def investigate(bot: Bot, incident_id: str, job_try: int = 1) -> str:
    """Run (or finish) the incident's investigation; returns what became of it."""
    incident = await bot.incidents.get(incident_id)
    if incident.status != "investigating":
        return f"already {incident.status}"
    started = time.monotonic()
    progress = await _progress(bot, incident)
    if job_try > 1:
        progress.add(f"picked up again after a lost worker (try {job_try})")
    try:
        return await _investigate(bot, incident, progress, started)
    except Exception as exc:  # a bug or an outage must still end the thread's wait
        log.exception("investigation of %s failed", incident.id)
        return await _fail(bot, incident, progress, f"I failed on my side ({type(exc).__name__})")


async def _investigate(
    bot: Bot, incident: Incident, progress: ProgressMessage, started: float
) -> str:
    trajectory = await bot.trajectories.get(incident.trajectory_id)
    if trajectory is None:
        if not incident.namespace:
            return await _fail(
                bot, incident, progress, "I could not tell which namespace this is about; "
                "mention me in this thread with it, e.g. `@AOI check test-hotel-reservation`",
            )  # fmt: skip
        model = await current_model(bot)
        try:
            trajectory = await asyncio.wait_for(
                asyncio.to_thread(_run_agent, bot, incident, progress.threadsafe(), model),
                timeout=bot.config.investigation_timeout_s,
            )
        except TimeoutError:
            minutes = bot.config.investigation_timeout_s / 60
            return await _fail(bot, incident, progress, f"gave up after {minutes:g} minutes")
        except LLMError as exc:
            return await _fail(bot, incident, progress, f"the model server failed: {exc}")
        trajectory.id = incident.trajectory_id
        trajectory.alert = incident.alert.model_dump(mode="json")
        await bot.trajectories.save(trajectory)
        await bot.audit.record_calls(
            [c for i in trajectory.iterations for c in i.calls],
            incident=incident.id,
            channel=incident.channel,
            thread=incident.thread_ts,
            namespace=incident.namespace or "",
        )
    await progress.finish()
    incident = await _post_finding(bot, incident, trajectory)
    incident = await _post_fixes(bot, incident, trajectory)
    await bot.incidents.update(incident.id, _diagnosed)
    bot.metrics.investigations.labels("diagnosed").inc()
    bot.metrics.investigation_seconds.observe(time.monotonic() - started)
    return "diagnosed"


def target_for(bot: Bot, incident: Incident) -> ClusterTarget:
    return bot.config.target.model_copy(update={"namespace": incident.namespace})


async def current_model(bot: Bot) -> str | None:
    """The promoted adapter vLLM serves (`aoi train promote`), read at every investigation
    so a promotion takes effect without a restart; None: the configured model."""
    raw = await bot.redis.get(CURRENT_MODEL)
    if not raw:
        return None
    try:
        return str(json.loads(raw)["name"])
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring an unreadable %s", CURRENT_MODEL)
        return None


def _run_agent(bot: Bot, incident: Incident, say: Any, model: str | None) -> Trajectory:
    target = target_for(bot, incident)
    prompt = incident.alert.prompt()
    if bot.config.agent == "llm":
        if bot.config.llm is None:
            raise LLMError("the llm agent is configured without a model server")
        llm = dataclasses.replace(bot.config.llm, model=model) if model else bot.config.llm
        agent = LLMAgent(target, LLMClient(llm), bot.config.policy, budgets=bot.config.budgets)
        return agent.investigate(prompt, say)
    return RulesAgent(target, bot.config.policy).investigate(prompt, say)


async def _progress(bot: Bot, incident: Incident) -> ProgressMessage:
    """The thread's progress message: the one posted at intake, or a new one."""
    ts = incident.progress_ts
    if ts is None:
        posted = await bot.slack.chat_postMessage(
            channel=incident.channel,
            thread_ts=incident.thread_ts,
            **blocks.investigating_message(incident.alert, bot.config.agent),
        )
        ts = str(posted["ts"])
        await bot.incidents.index(incident.id, incident.channel, ts)
        await bot.incidents.update(incident.id, lambda i: setattr(i, "progress_ts", ts))
    return ProgressMessage(bot.slack, incident.channel, ts, bot.config.progress_interval_s)


async def _post_finding(bot: Bot, incident: Incident, trajectory: Trajectory) -> Incident:
    if incident.finding_ts or trajectory.finding is None:
        return incident
    posted: list[str] = []
    for message in blocks.finding_messages(
        trajectory.finding, seconds=trajectory.seconds, agent=trajectory.agent
    ):
        reply = await bot.slack.chat_postMessage(
            channel=incident.channel, thread_ts=incident.thread_ts, **message
        )
        posted.append(str(reply["ts"]))
        await bot.incidents.index(incident.id, incident.channel, posted[-1])
    return await bot.incidents.update(incident.id, lambda i: setattr(i, "finding_ts", posted))


async def _post_fixes(bot: Bot, incident: Incident, trajectory: Trajectory) -> Incident:
    """A card per proposed fix, with the server's dry run, unless it is already posted."""
    if trajectory.finding is None:
        return incident
    # A card whose post was lost with its worker is posted again, unless someone acted on it.
    done = {card.index for card in incident.fixes if card.card_ts or card.state != "proposed"}
    executor = Executor(target_for(bot, incident), bot.config.policy)
    for index, action in enumerate(trajectory.finding.proposed_actions):
        if index in done:
            continue
        dry = await asyncio.to_thread(
            executor.dry_run, action.command, action.manifest, action.runbook
        )
        expires = int(time.time()) + bot.config.approval_ttl_s
        digest = fix_digest(action)
        secret = bot.config.approval_secret
        card = blocks.fix_card(
            action,
            index=index,
            dry_run=dry.output if dry.ok else f"dry run refused: {dry.output}",
            approve_value=sign(ActionToken(incident.id, index, "approve", digest, expires), secret),
            reject_value=sign(ActionToken(incident.id, index, "reject", digest, expires), secret),
        )
        # Recorded before it is posted: an engineer may click the moment the card appears.
        fix = FixCard(index=index, action=action, dry_run=dry.output)
        incident = await bot.incidents.update(incident.id, _adding(fix))
        reply = await bot.slack.chat_postMessage(
            channel=incident.channel, thread_ts=incident.thread_ts, **card
        )
        ts = str(reply["ts"])
        await bot.incidents.index(incident.id, incident.channel, ts)
        incident = await bot.incidents.update(incident.id, _posted(index, ts))
    return incident


def _adding(card: FixCard) -> Callable[[Incident], None]:
    def add(incident: Incident) -> None:
        incident.fixes = [c for c in incident.fixes if c.index != card.index] + [card]
        incident.fixes.sort(key=lambda c: c.index)

    return add


def _posted(index: int, ts: str) -> Callable[[Incident], None]:
    """Only the card's ts: a click may already have changed its state."""

    def mark(incident: Incident) -> None:
        for card in incident.fixes:
            if card.index == index:
                card.card_ts = ts

    return mark


def _diagnosed(incident: Incident) -> None:
    if incident.status == "investigating":
        incident.status = "diagnosed"


async def _fail(bot: Bot, incident: Incident, progress: ProgressMessage, why: str) -> str:
    """The thread says what went wrong; the trajectory keeps it as a failed one."""
    await progress.finish(failed=why)
    trajectory = Trajectory(
        id=incident.trajectory_id,
        agent=bot.config.agent,
        alert=incident.alert.model_dump(mode="json"),
        outcome="failed",
        notes=[why],
    )
    await bot.trajectories.save(trajectory)

    def failed(i: Incident) -> None:
        i.status = "failed"

    await bot.incidents.update(incident.id, failed)
    bot.metrics.investigations.labels("failed").inc()
    log.warning("incident %s: %s", incident.id, why)
    return "failed"
