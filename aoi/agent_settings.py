"""The agents' model client and budgets, from settings (one place for `diagnose`, `eval`
and, later, the bot)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aoi.errors import fail
from aoi.settings import Settings

if TYPE_CHECKING:
    from agents.llm import LLMConfig
    from agents.llm_agent import Budgets


def llm_config(settings: Settings) -> LLMConfig:
    """The model server of AOI_LLM_*; a clear exit when none is configured."""
    from agents.llm import LLMConfig

    if not settings.llm_base_url:
        fail("--agent llm needs a model server: set AOI_LLM_BASE_URL (e.g. vLLM's /v1 URL)", 2)
    return LLMConfig(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value(),
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        temperature=settings.llm_temperature,
    )


def budgets(settings: Settings) -> Budgets:
    from agents.llm_agent import Budgets

    return Budgets(
        max_iterations=settings.agent_max_iterations,
        context_tokens=settings.agent_context_tokens,
        probe_commands=settings.agent_probe_commands,
        reply_tokens=settings.agent_reply_tokens,
        model_compressor=settings.agent_model_compressor,
    )
