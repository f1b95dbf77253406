"""Investigation jobs on arq, a Redis-backed asyncio queue: Slack intake only enqueues, and
any number of workers (in the bot's process or `aoi bot --role worker`) run them. A job
stays in Redis until a worker finishes it; a worker that dies leaves its in-progress mark
to expire, and another worker runs the job again (up to `investigation_tries`). One job id
per incident, so a second enqueue of the same investigation is a no-op.

arq's in-progress mark lives as long as the job's timeout, so a lost job would wait up to
ten minutes for its retry; a running job here holds it as a short lease instead, renewed
while the worker lives, so another worker takes over within `job_lease_s` of a crash."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from arq import Worker, func
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix

from bot.context import Bot
from bot.investigation import investigate

QUEUE = "aoi:queue"
log = logging.getLogger(__name__)


async def enqueue_investigation(queue: ArqRedis, incident_id: str) -> bool:
    """Queue the incident's investigation; False if it is already queued or running."""
    job = await queue.enqueue_job(
        "investigate", incident_id, _job_id=f"investigate:{incident_id}", _queue_name=QUEUE
    )
    return job is not None


async def _investigate(ctx: dict[str, Any], incident_id: str) -> str:
    bot: Bot = ctx["bot"]
    lease = asyncio.create_task(_hold_lease(ctx["redis"], ctx["job_id"], bot.config.job_lease_s))
    try:
        return await investigate(bot, incident_id, job_try=int(ctx.get("job_try", 1)))
    finally:
        lease.cancel()


async def _hold_lease(redis: ArqRedis, job_id: str, lease_s: float) -> None:
    """Keep the job's in-progress mark alive for `lease_s` at a time while we run."""
    name = in_progress_key_prefix + job_id
    while True:
        await redis.pexpire(name, int(lease_s * 1000))
        await asyncio.sleep(lease_s / 3)


def make_worker(bot: Bot, redis: RedisSettings, *, burst: bool = False) -> Worker:
    """A worker for this bot's jobs (run it with `await worker.async_run()`)."""
    config = bot.config
    return Worker(
        functions=[
            func(
                _investigate,
                name="investigate",
                timeout=config.investigation_timeout_s + 30,
                max_tries=config.investigation_tries,
            )
        ],
        queue_name=QUEUE,
        redis_settings=redis,
        ctx={"bot": bot},
        handle_signals=False,
        poll_delay=0.2,
        keep_result=3600,
        burst=burst,
        max_jobs=4,
    )
