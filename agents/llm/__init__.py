"""The model side of the agents: a client for any OpenAI-compatible server (vLLM in
production), with structured output, repair and token accounting."""

from agents.llm.client import (
    LLMClient,
    LLMConfig,
    LLMError,
    LLMOutputError,
    LLMUnavailable,
    Reply,
    TokenLedger,
)

__all__ = [
    "LLMClient",
    "LLMConfig",
    "LLMError",
    "LLMOutputError",
    "LLMUnavailable",
    "Reply",
    "TokenLedger",
]
