"""Reading a completion: its text (TRL hands conversational completions as message lists,
standard ones as strings), the one ObserverDecision in it, and the command lines its free text
carries. Every reward reads the same completions, so the parse is cached by text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from agents.decisions import ObserverDecision

_DECODER = json.JSONDecoder()
# A command quoted inside prose: `kubectl get pods`.
_BACKTICKED = re.compile(r"`+([^`]+)`+")


@dataclass(frozen=True)
class ParsedCompletion:
    """What a completion holds. `decision` is shared by every reward that reads this text
    (the parse is cached): read it, never change it."""

    text: str
    data: dict[str, Any] | None  # the JSON object found (the valid one, when one is)
    decision: ObserverDecision | None  # that object, validated
    clean: bool  # the text is that one object and nothing else


def completion_text(completion: object) -> str:
    """The assistant's text: a plain string as is; a conversational completion (a list of
    messages, as TRL gives it) as its assistant messages' contents, joined."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _content(completion.get("content"))
    if isinstance(completion, list | tuple):
        messages = [m for m in completion if isinstance(m, dict)]
        spoken = [m for m in messages if m.get("role", "assistant") == "assistant"]
        return "".join(_content(m.get("content")) for m in spoken or messages)
    return ""


def _content(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def parse(completion: object) -> ParsedCompletion:
    """The completion's decision, found tolerantly (see `parse_text`)."""
    return parse_text(completion_text(completion))


@lru_cache(maxsize=1024)  # a few training steps' completions
def parse_text(text: str) -> ParsedCompletion:
    """The ObserverDecision in `text`: the whole text if it is one JSON object; otherwise the
    first JSON object in it that validates (a small model wraps it in a code fence or a
    sentence), else the first JSON object at all, so the format reward can tell "JSON, wrong
    shape" from "no JSON"."""
    stripped = text.strip()
    try:
        whole = json.loads(stripped)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        return ParsedCompletion(text, whole, _validated(whole), clean=True)
    found = list(_objects(text))
    for obj in found:
        decision = _validated(obj)
        if decision is not None:
            return ParsedCompletion(text, obj, decision, clean=False)
    return ParsedCompletion(text, found[0] if found else None, None, clean=False)


def _objects(text: str) -> Iterator[dict[str, Any]]:
    """Each top-level JSON object embedded in the text, left to right."""
    at = text.find("{")
    while at >= 0:
        try:
            obj, end = _DECODER.raw_decode(text, at)
        except ValueError:
            at = text.find("{", at + 1)
            continue
        if isinstance(obj, dict):
            yield obj
        at = text.find("{", end)


def _validated(obj: dict[str, Any]) -> ObserverDecision | None:
    try:
        return ObserverDecision.model_validate(obj)
    except ValidationError:
        return None


def command_lines(text: str, programs: tuple[str, ...] = ("kubectl",)) -> list[str]:
    """The command lines a free-text instruction carries: each line, or each `quoted` span,
    that starts with one of `programs` (an instruction that *is* `kubectl delete pod x`, or
    says "run `kubectl get pods`"). Prose that merely names kubectl is not a command."""
    spans = text.splitlines()
    spans += _BACKTICKED.findall(text)
    seen: list[str] = []
    for span in spans:
        line = span.strip().strip("`").strip()
        line = line.removeprefix("$ ").strip()
        first = line.split(maxsplit=1)[0] if line else ""
        if first in programs and line not in seen:
            seen.append(line)
    return seen
