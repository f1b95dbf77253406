"""A client for an OpenAI-compatible chat server: vLLM in production, llama.cpp's server or
any other on a laptop. Built on the `openai` package, which already retries 408/429/5xx and
connection errors with exponential backoff and honours `Retry-After`; we add structured
output (a JSON schema from a pydantic model, enforced by vLLM's guided decoding), one repair
retry when the reply still does not validate, and token accounting per call."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import openai
from pydantic import BaseModel, ValidationError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Messages = list[dict[str, str]]


class LLMError(RuntimeError):
    """The model could not give a usable answer."""


class LLMUnavailable(LLMError):
    """The server cannot be reached or refuses the request (after the retries)."""


class LLMOutputError(LLMError):
    """The reply did not match the schema, even after the repair retry."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(message)
        self.raw = raw


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str | None = None  # None: the first model the server lists
    api_key: str = "EMPTY"  # vLLM accepts anything unless started with --api-key
    timeout_s: float = 120.0
    max_retries: int = 3
    temperature: float = 0.2
    seed: int | None = None


@dataclass
class CallUsage:
    purpose: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    repaired: bool = False


@dataclass
class TokenLedger:
    """Every call's tokens, as the server counted them."""

    calls: list[CallUsage] = field(default_factory=list)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls)

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Reply(Generic[T]):
    value: T
    raw: str
    tokens: int
    repaired: bool = False


class LLMClient:
    def __init__(self, config: LLMConfig, ledger: TokenLedger | None = None) -> None:
        self.config = config
        self.ledger = ledger or TokenLedger()
        self._openai = openai.OpenAI(
            base_url=config.base_url,
            api_key=config.api_key,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
        )
        self._model = config.model

    @property
    def model(self) -> str:
        """The configured model, or the first one the server serves (vLLM serves one)."""
        if self._model is None:
            try:
                listed = [m.id for m in self._openai.models.list()]
            except openai.OpenAIError as exc:
                raise LLMUnavailable(self._why(exc)) from exc
            if not listed:
                raise LLMUnavailable(f"{self.config.base_url} serves no model")
            self._model = listed[0]
        return self._model

    def text(self, messages: Messages, *, max_tokens: int, purpose: str = "text") -> Reply[str]:
        """A free-text answer."""
        content, tokens = self._complete(messages, max_tokens, purpose, None)
        return Reply(content, content, tokens)

    def structured(
        self, messages: Messages, schema: type[M], *, max_tokens: int, purpose: str = ""
    ) -> Reply[M]:
        """An instance of `schema`, asked for with the schema itself as the response format.
        A reply that does not validate (cut by max_tokens, or a server that ignores the
        format) gets one repair turn that quotes the error; then LLMOutputError."""
        purpose = purpose or schema.__name__
        held = response_format(schema)
        content, tokens = self._complete(messages, max_tokens, purpose, held)
        try:
            return Reply(schema.model_validate_json(_json_part(content)), content, tokens)
        except ValidationError as exc:
            problem = _first_errors(exc)
        repair = [
            *messages,
            {"role": "assistant", "content": content},
            {
                "role": "user",
                "content": f"That reply is not valid: {problem}. Answer again with only the "
                "JSON object, complete and valid against the schema.",
            },
        ]
        fixed, more = self._complete(repair, max_tokens, purpose, held, repair=True)
        try:
            value = schema.model_validate_json(_json_part(fixed))
        except ValidationError as exc:
            raise LLMOutputError(
                f"the model's {purpose} is not valid after a repair turn: {_first_errors(exc)}",
                fixed,
            ) from exc
        return Reply(value, fixed, tokens + more, repaired=True)

    def _complete(
        self,
        messages: Messages,
        max_tokens: int,
        purpose: str,
        response_format: dict[str, Any] | None,
        repair: bool = False,
    ) -> tuple[str, int]:
        started = time.monotonic()
        extra: dict[str, Any] = {}
        if response_format is not None:
            extra["response_format"] = response_format
        if self.config.seed is not None:
            extra["seed"] = self.config.seed
        try:
            response = self._openai.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=self.config.temperature,
                **extra,
            )
        except openai.OpenAIError as exc:
            raise LLMUnavailable(self._why(exc)) from exc
        if not response.choices:
            raise LLMUnavailable(f"{self.config.base_url} answered with no choices")
        content = response.choices[0].message.content or ""
        usage = response.usage
        prompt = usage.prompt_tokens if usage else 0
        completion = usage.completion_tokens if usage else 0
        self.ledger.calls.append(
            CallUsage(purpose, prompt, completion, round(time.monotonic() - started, 3), repair)
        )
        return content, prompt + completion

    def _why(self, exc: openai.OpenAIError) -> str:
        where = self.config.base_url
        if isinstance(exc, openai.APIStatusError):
            return f"{where} answered HTTP {exc.status_code}: {_short(exc.message)}"
        if isinstance(exc, openai.APITimeoutError):
            return f"{where} did not answer within {self.config.timeout_s:g} s"
        if isinstance(exc, openai.APIConnectionError):
            return f"cannot reach the model server at {where}"
        return f"{where}: {_short(str(exc))}"


def _json_part(content: str) -> str:
    """The JSON object in a reply: servers without guided decoding may wrap it in a code
    fence or a sentence; the outermost braces are what we validate."""
    start, end = content.find("{"), content.rfind("}")
    return content[start : end + 1] if 0 <= start < end else content


def _first_errors(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "the reply"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def response_format(schema: type[BaseModel]) -> dict[str, Any]:
    """The OpenAI `response_format` that holds a reply to `schema` (vLLM's guided decoding)."""
    return {
        "type": "json_schema",
        "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
    }
