"""The Compressor: turns one iteration's raw tool output into the compressed context the
Observer reads. Stateless per iteration, as in the AOI paper. Error and warning lines are kept
verbatim (they are the evidence); repeated lines are counted, not repeated; the rest is
summarised by the model when one is configured, or cut to its head deterministically when not.
The whole stays within a token budget."""

from __future__ import annotations

import re
from collections import Counter

from agents.digest import digest
from agents.llm import LLMClient, LLMError
from agents.models import Signal
from agents.tools.record import ToolCall

# A cautious estimate (logs and JSON tokenise densely); the ledger keeps the server's counts.
CHARS_PER_TOKEN = 3
NOTABLE = re.compile(
    r"error|fail|fatal|panic|exception|warn|refused|denied|unauthori[sz]ed|forbidden|"
    r"timeout|timed out|crashloop|backoff|oomkill|unhealthy|evict|invalid|not found|no such|"
    r"cannot|unable|unreachable|exceeded|insufficient|unschedulable|pending|notready",
    re.IGNORECASE,
)
_VOLATILE = re.compile(r"\b[0-9a-f]{6,}\b|\d+(\.\d+)?")  # ids, counts, timestamps


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def shown(call: ToolCall) -> str:
    """A call as one short command line (the incident namespace and `-o json` go without
    saying)."""
    words = list(call.request)
    if call.tool != "kubectl":
        words = [call.tool, *words]
    for flag in ("-n", "-o"):
        while flag in words[:-1]:
            at = words.index(flag)
            del words[at : at + 2]
    return " ".join(words)


def call_header(call: ToolCall) -> str:
    head = f"$ {shown(call)}"
    if not call.ran:
        return f"{head}  [refused: {call.reason}]"
    notes = [f"exit {call.exit_code}"]
    if call.cut:
        notes.append(f"{call.cut} chars cut")
    return f"{head}  [{', '.join(notes)}]"


def notable_lines(text: str) -> list[str]:
    """Error and warning lines, verbatim, each once, with how often it (or a line differing
    only in numbers and ids) occurred."""
    seen: Counter[str] = Counter()
    first: dict[str, str] = {}
    for line in text.splitlines():
        line = line.rstrip()
        if not line or not NOTABLE.search(line):
            continue
        key = _VOLATILE.sub("#", line)
        seen[key] += 1
        first.setdefault(key, line)
    return [first[k] + (f"  (×{n})" if n > 1 else "") for k, n in seen.items()]


def plain_lines(text: str) -> list[str]:
    """The other lines, with runs of look-alike lines collapsed to one and a count."""
    out: list[str] = []
    last_key, run = None, 0
    for line in text.splitlines():
        line = line.rstrip()
        if not line or NOTABLE.search(line):
            continue
        key = _VOLATILE.sub("#", line)
        if key == last_key:
            run += 1
            continue
        if run:
            out[-1] += f"  (+{run} alike)"
        out.append(line)
        last_key, run = key, 0
    if run:
        out[-1] += f"  (+{run} alike)"
    return out


def readable(call: ToolCall) -> str:
    """A call's output as lines worth reading: JSON object lists digested to one line each."""
    text = call.raw or call.output
    lines = digest(text) if text.lstrip().startswith("{") else None
    return text if lines is None else "\n".join(lines)


def _pod_logs(call: ToolCall) -> bool:
    """`kubectl logs POD ...`: one pod's logs, named by its third word (not a selector's
    `logs -l ...`, which a model's Probe may write)."""
    words = call.request
    return (
        call.tool == "kubectl"
        and words[1:2] == ["logs"]
        and len(words) > 2
        and not words[2].startswith("-")
    )


def _fit(lines: list[str], chars: int) -> list[str]:
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > chars:
            kept.append(f"… ({len(lines) - len(kept)} more lines)")
            break
        kept.append(line)
        used += len(line) + 1
    return kept


class Compressor:
    """Per iteration: signals first, then each call's notable lines, then a summary of the
    rest, within `budget_tokens`."""

    def __init__(self, budget_tokens: int, client: LLMClient | None = None) -> None:
        self.budget = budget_tokens * CHARS_PER_TOKEN
        self.client = client

    def compress(self, calls: list[ToolCall], signals: list[Signal] | None = None) -> str:
        parts: list[str] = []
        if signals:
            parts.append("Analyzer signals (strongest first):")
            parts += [f"- [{s.score:.2f}] {s.component or '-'}: {s.summary}" for s in signals[:6]]
        texts = {id(c): readable(c) for c in calls}
        loud = [c for c in calls if not c.ran or notable_lines(texts[id(c)])]
        loud_ids = {id(c) for c in loud}  # by identity: ToolCall equality compares every field
        quiet = [c for c in calls if id(c) not in loud_ids]
        verbatim = self.budget // 2 - sum(len(p) + 1 for p in parts)
        per_call = max(verbatim // max(len(loud), 1), 160)
        for call in loud:
            parts.append(call_header(call))
            parts += _fit(notable_lines(texts[id(call)]), per_call)
        # The first look reads each pod's logs apart: quiet ones go by pod name, on one line.
        quiet_logs = list(dict.fromkeys(c.request[2] for c in quiet if _pod_logs(c)))
        others = [shown(c) for c in quiet if not _pod_logs(c)]
        if others:
            parts.append("No error or warning in: " + "; ".join(others))
        if quiet_logs:
            parts.append("No error or warning in the logs of: " + ", ".join(quiet_logs))
        text = "\n".join(parts)
        room = self.budget - len(text) - 1
        if room > 200:
            rest = self._summary([c for c in calls if c.ran], texts, room)
            if rest:
                text += "\nOther output:\n" + rest
        return text[: self.budget]

    def _summary(self, calls: list[ToolCall], texts: dict[int, str], chars: int) -> str:
        plain = {shown(c): plain_lines(texts[id(c)]) for c in calls}
        plain = {k: v for k, v in plain.items() if v}
        if not plain:
            return ""
        if self.client is not None:
            source = "\n".join(f"$ {k}\n" + "\n".join(_fit(v, 1500)) for k, v in plain.items())
            try:
                reply = self.client.text(
                    [
                        {"role": "system", "content": SUMMARY_PROMPT},
                        {"role": "user", "content": source[: chars * 3]},
                    ],
                    max_tokens=max(chars // CHARS_PER_TOKEN, 32),
                    purpose="compress",
                )
                if reply.value.strip():
                    return reply.value.strip()[:chars]
            except LLMError:
                pass  # the deterministic summary below is always available
        share = max(chars // len(plain), 120)
        return "\n".join(
            f"{k}:\n" + "\n".join("  " + line for line in _fit(v, share)) for k, v in plain.items()
        )[:chars]


SUMMARY_PROMPT = (
    "You compress command output for an SRE investigating an incident. Summarise what these "
    "outputs show about the health of the workloads: which objects exist, their states and "
    "counts, anything unusual. Be factual and short; name objects exactly; do not speculate."
)
