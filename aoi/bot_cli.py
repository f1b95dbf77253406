"""`aoi bot`: the Slack bot, from AOI_* settings; `--role web|worker` splits intake from
investigation workers so each scales on its own."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING, cast

import typer

from aoi.agent_settings import budgets, llm_config
from aoi.errors import fail
from aoi.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.config import BotConfig


def bot_config(settings: Settings) -> BotConfig:
    """The bot's configuration; a clear exit naming what is missing."""
    from agents.target import ClusterTarget
    from bot.config import BotConfig, Emoji
    from policies.policy import PolicyError, load_policy

    missing = [
        f"AOI_{name.upper()}"
        for name in ("slack_bot_token", "slack_signing_secret", "approval_secret", "kubeconfig")
        if getattr(settings, name) is None
    ]
    if missing:
        fail(f"the bot needs {', '.join(missing)} (see README, Configuration)", 2)
    assert settings.kubeconfig is not None
    if not settings.kubeconfig.is_file():
        fail(f"AOI_KUBECONFIG: no kubeconfig at {settings.kubeconfig}", 2)
    try:
        policy = load_policy(settings.policy)
    except PolicyError as exc:
        fail(str(exc), 2)

    def secret(value: object) -> str:
        return value.get_secret_value() if value is not None else ""  # type: ignore[attr-defined]

    config = BotConfig(
        signing_secret=secret(settings.slack_signing_secret),
        bot_token=secret(settings.slack_bot_token),
        approval_secret=secret(settings.approval_secret),
        target=ClusterTarget(
            kubeconfig=settings.kubeconfig,
            probe_context=settings.kube_probe_context,
            executor_context=settings.kube_executor_context,
            prometheus_url=settings.prometheus_url,
            jaeger_url=settings.jaeger_url,
        ),
        slack_api_url=settings.slack_api_url,
        app_token=secret(settings.slack_app_token) or None,
        redis_url=settings.redis_url,
        state_dir=settings.state_dir,
        incident_channels=frozenset(
            c.strip() for c in settings.incident_channels.split(",") if c.strip()
        ),
        alert_channels=dict(settings.alert_channels),
        alert_webhook_token=secret(settings.alert_webhook_token) or None,
        agent=settings.bot_agent,
        llm=llm_config(settings) if settings.bot_agent == "llm" else None,
        budgets=budgets(settings),
        dedupe_window_s=settings.dedupe_window_s,
        investigation_timeout_s=settings.investigation_timeout_s,
        job_lease_s=settings.job_lease_s,
        approval_ttl_s=settings.approval_ttl_s,
        policy=policy,
        emoji=Emoji(
            thumbs_up=_names(settings.thumbs_up_emoji),
            thumbs_down=_names(settings.thumbs_down_emoji),
            resolved=_names(settings.resolved_emoji),
        ),
    )
    return config


def _names(text: str) -> frozenset[str]:
    return frozenset(name.strip().strip(":") for name in text.split(",") if name.strip())


def bot(
    role: str = typer.Option("all", help="all (intake and workers), web (intake) or worker."),
    host: str | None = typer.Option(None, help="Listen address (default AOI_BOT_HOST)."),
    port: int | None = typer.Option(None, help="Listen port (default AOI_BOT_PORT)."),
    workers: int = typer.Option(1, min=1, max=16, help="Investigation workers here."),
) -> None:
    """Run the Slack bot: /slack/events, /alerts, /healthz, /readyz, /metrics."""
    if role not in ("all", "web", "worker"):
        fail(f"unknown role {role!r}: use all, web or worker", 2)
    settings = load_settings()
    config = bot_config(settings)
    asyncio.run(
        _serve(
            config,
            role,
            host or settings.bot_host,
            settings.bot_port if port is None else port,
            workers,
        )
    )


async def _serve(config: BotConfig, role: str, host: str, port: int, workers: int) -> None:
    from bot.redis_store import RedisUnavailable
    from bot.server import BotRuntime, Role

    runtime = BotRuntime(config, role=cast("Role", role), host=host, port=port, workers=workers)
    try:
        await runtime.start()
    except (RedisUnavailable, RuntimeError, OSError) as exc:
        await runtime.stop()
        fail(str(exc), 1)
    where = runtime.url or "(no HTTP: worker only)"
    typer.echo(f"AOI bot ({role}) ready at {where}", err=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    # A job cut short here is not lost: its in-progress mark expires and a worker reruns it.
    typer.echo("stopping", err=True)
    await runtime.stop()
