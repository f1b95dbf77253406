"""Block Kit for an incident's thread: the alert, the progress message, the finding, a card
per proposed fix with Approve/Reject, the card after a click, and the rejection modal.

Every message is `{"text": fallback, "blocks": [...]}` within Slack's limits, with margins:
at most 45 blocks, 2,900 characters a section, 145 a header, about 11,000 characters of block
text a message (Slack answers `msg_blocks_too_long` somewhere past 12,000 in total, though no
single block is too long). Text from the cluster, alerts or people is escaped, so it can
neither mention anyone nor make a link, and code blocks hold it whole or say what was cut.
"""

from __future__ import annotations

import shlex
from typing import Any, Literal

from agents.manifests import digest
from agents.models import Execution, Finding, ProposedAction
from bot import mrkdwn
from bot.alerts import Alert
from bot.mrkdwn import SECTION_CHARS
from bot.mrkdwn import escape as escape  # part of this module's interface

Message = dict[str, Any]
Block = dict[str, Any]
FixState = Literal["running", "applied", "failed", "rejected", "refused"]

MESSAGE_BLOCKS = 45
MESSAGE_CHARS = 11_000
HEADER_CHARS = 145
FALLBACK_CHARS = 3_000
VALUE_CHARS = 2_000  # a button's value
METADATA_CHARS = 3_000  # a view's private_metadata
PROGRESS_STEPS = 8
APPROVE_ACTION = "aoi_approve"
REJECT_ACTION = "aoi_reject"
REJECT_CALLBACK = "aoi_reject_reason"


# --- blocks ----------------------------------------------------------------------------------


def _section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}
    if block_id:
        block["block_id"] = block_id
    return block


def _header(text: str) -> Block:
    line = " ".join(text.split())
    if len(line) > HEADER_CHARS:
        line = line[: HEADER_CHARS - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": line or " ", "emoji": True}}


def _context(*texts: str) -> Block:
    elements = [{"type": "mrkdwn", "text": t} for t in texts if t][:10]
    return {"type": "context", "elements": elements or [{"type": "mrkdwn", "text": " "}]}


def _message(fallback: str, blocks: list[Block], *, safe: bool = False) -> Message:
    """A message; its fallback `text` (notifications, search) is escaped unless `safe`, made
    here of escaped parts and our own mentions."""
    text = mrkdwn.line(fallback, FALLBACK_CHARS) if not safe else fallback[:FALLBACK_CHARS]
    return {"text": text or " ", "blocks": blocks}


def _block_chars(block: Block) -> int:
    texts = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
    return sum(
        len(t["text"]) for t in texts if isinstance(t, dict) and isinstance(t.get("text"), str)
    )


# --- the alert and progress ------------------------------------------------------------------


def alert_message(alert: Alert) -> Message:
    """The alert as the bot posts it into the channel when it came by webhook."""
    emoji = "✅" if alert.status == "resolved" else "🔥"
    blocks = [_header(f"{emoji} {alert.title}")]
    if alert.summary:
        blocks.append(_section(mrkdwn.fit(alert.summary, SECTION_CHARS)))
    labels = "  ".join(mrkdwn.inline(f"{k}={v}", 200) for k, v in sorted(alert.labels.items()))
    since = f"since {alert.starts_at:%Y-%m-%d %H:%M %Z}".strip() if alert.starts_at else ""
    count = f"{alert.alerts} alerts" if alert.alerts > 1 else ""
    facts = [alert.status, count, since, alert.source]
    link = mrkdwn.link(alert.url, "open in source")
    blocks.append(_context(mrkdwn.fit(labels, 2_000), " · ".join(f for f in facts if f), link))
    return _message(f"{emoji} {alert.status}: {alert.title}", blocks)


def investigating_message(alert: Alert, agent: str) -> Message:
    """The first reply in the alert's thread: what is investigated, by which agent."""
    title, by = mrkdwn.line(alert.title, 300), mrkdwn.line(agent, 50)
    line = f"🔍 Investigating *{title}* with the *{by}* agent…"
    return _message(
        f"Investigating {alert.title} with the {agent} agent…", [_section(line, "investigating")]
    )


def progress_message(steps: list[str], done: bool = False, failed: str | None = None) -> Message:
    """The one message edited as the agent works: its last steps, then done or the failure."""
    shown = steps[-PROGRESS_STEPS:]
    lines = [f"_… {len(steps) - len(shown)} earlier steps_"] if len(steps) > len(shown) else []
    running = not done and failed is None
    for i, step in enumerate(shown):
        marker = "⏳" if running and i == len(shown) - 1 else "✓"
        lines.append(f"{marker} {mrkdwn.line(step, 250)}")
    if not shown:
        lines.append("⏳ starting…" if running else "no steps")
    blocks = [_section("\n".join(lines), "progress")]
    if failed is not None:
        blocks.append(_section(f"❌ *Investigation failed:* {mrkdwn.fit(failed, 2_000)}", "failed"))
        fallback = f"Investigation failed: {failed}"
    elif done:
        blocks.append(_context(f"✅ done in {len(steps)} steps"))
        fallback = f"Investigation done in {len(steps)} steps"
    else:
        fallback = f"Investigating… {len(steps)} steps so far"
    return _message(fallback, blocks)


def ask_for_correction(user: str) -> Message:
    """The reply to a 👎: ask what was wrong, to keep with the investigation."""
    text = (
        f"{mrkdwn.mention(user)} thanks — what was wrong? Reply in this thread and I'll keep it "
        "with the investigation."
    )
    return _message(text, [_section(text, "correction")], safe=True)


# --- the finding -----------------------------------------------------------------------------


def finding_messages(
    finding: Finding, *, seconds: float | None = None, agent: str = "rules"
) -> list[Message]:
    """The finding as one or more thread messages, each within Slack's limits; only the
    excess of over-long excerpts is cut."""
    detected = finding.detected
    head = "🔴 Fault detected" if detected else "🟢 No fault detected"
    named = finding.faulty_components
    if detected and named:
        head += f": {', '.join(named[:3])}" + (f" and {len(named) - 3} more" if named[3:] else "")
    blocks = [_header(head)]
    cause = finding.root_cause or ("" if detected else "The checks found nothing wrong.")
    if cause:
        blocks += [_section(p) for p in mrkdwn.split(f"*Root cause:* {mrkdwn.prose(cause)}")]
    fields = [f"*Confidence*\n{round(finding.confidence * 100)}%"]
    if finding.system_level:
        fields.append(f"*System level*\n{finding.system_level}")
    if finding.fault_type:
        fields.append(f"*Fault type*\n{finding.fault_type}")
    components = ", ".join(mrkdwn.inline(c, 300) for c in finding.faulty_components)
    if components and len(components) <= 1_900:
        fields.append(f"*Affected*\n{components}")
    blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]})
    if components and len(components) > 1_900:
        blocks += [_section(p) for p in mrkdwn.split(f"*Affected:* {components}")]
    facts = [f"{mrkdwn.line(agent, 50)} agent"]
    if seconds is not None:
        facts.append(f"{seconds:.0f} s")
    facts.append(f"{len(finding.evidence)} evidence")
    if finding.proposed_actions:
        count = len(finding.proposed_actions)
        facts.append(f"{count} proposed fix{'es' if count != 1 else ''} below")
    blocks.append(_context(" · ".join(facts)))
    if finding.evidence:
        blocks.append(_section("*Evidence*"))
    for i, item in enumerate(finding.evidence, 1):
        blocks += _evidence(i, item.summary, item.source, item.excerpt)
    fallback = f"{head}: {finding.root_cause}" if finding.root_cause else head
    return _pack(blocks, fallback)


def _evidence(index: int, summary: str, sources: list[str], excerpt: str) -> list[Block]:
    prose = "\n".join(
        [f"*{index}.* {mrkdwn.prose(summary)}", *(f"↳ {mrkdwn.inline(s, 2_000)}" for s in sources)]
    )
    code = mrkdwn.code(excerpt) if excerpt.strip() else ""
    if len(prose) + 1 + len(code) <= SECTION_CHARS:
        return [_section(f"{prose}\n{code}" if code else prose)]
    return [_section(p) for p in mrkdwn.split(prose)] + ([_section(code)] if code else [])


def _pack(blocks: list[Block], fallback: str) -> list[Message]:
    """`blocks` spread over messages that each stay within the block and text budgets; each
    after the first opens with a context saying which part it is."""
    parts: list[list[Block]] = [[]]
    size = 0
    for block in blocks:
        chars = _block_chars(block)
        if parts[-1] and (len(parts[-1]) >= MESSAGE_BLOCKS - 1 or size + chars > MESSAGE_CHARS):
            parts.append([])
            size = 0
        parts[-1].append(block)
        size += chars
    total = len(parts)
    messages = [_message(fallback, parts[0])]
    for n, part in enumerate(parts[1:], 2):
        note = f"Finding, continued ({n}/{total})"
        messages.append(_message(note, [_context(f"_{note}_"), *part]))
    return messages


# --- fix cards -------------------------------------------------------------------------------


def fix_card(
    action: ProposedAction, *, index: int, dry_run: str, approve_value: str, reject_value: str
) -> Message:
    """One proposed fix with its exact command, why, its dry run and Approve/Reject."""
    for name, value in (("approve_value", approve_value), ("reject_value", reject_value)):
        if len(value) > VALUE_CHARS:
            raise ValueError(f"{name} is {len(value)} characters; Slack allows {VALUE_CHARS}")
    dry = mrkdwn.code(dry_run) if dry_run.strip() else "_no dry-run output_"
    blocks = [*_fix_blocks(action, index), _section(f"*Dry run*\n{dry}", f"fix-{index}-dry")]
    command = shlex.join(action.command)
    approve = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Approve", "emoji": True},
        "style": "primary",
        "action_id": APPROVE_ACTION,
        "value": approve_value,
        "confirm": {
            "title": {"type": "plain_text", "text": "Run this fix?"},
            "text": {"type": "mrkdwn", "text": mrkdwn.inline(command, 280)},
            "confirm": {"type": "plain_text", "text": "Approve"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        },
    }
    reject = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Reject", "emoji": True},
        "style": "danger",
        "action_id": REJECT_ACTION,
        "value": reject_value,
    }
    blocks.append({"type": "actions", "block_id": f"fix-{index}", "elements": [approve, reject]})
    return _message(f"Proposed fix {index + 1}: {command}", blocks)


def fix_card_result(
    action: ProposedAction,
    *,
    index: int,
    state: FixState,
    actor: str,
    execution: Execution | None = None,
    reason: str = "",
) -> Message:
    """The fix card after a click: no buttons, and who did what with what result."""
    who = mrkdwn.mention(actor)
    why = f": {mrkdwn.fit(reason, 1_500)}" if reason.strip() else ""
    if state == "running":
        line = f"⏳ Approved by {who} · running"
    elif state == "applied":
        line = f"✅ Approved by {who} · applied · {_verification(execution)}"
    elif state == "failed":
        line = f"❌ Approved by {who} · failed{why}"
    elif state == "rejected":
        line = f"🚫 Rejected by {who}{why}"
    else:
        line = f"⛔ Approved by {who} · refused{why}"
    output = execution.output if execution and state in ("applied", "failed") else ""
    detail = mrkdwn.code(output) if output.strip() else ""
    result = f"{line}\n{detail}" if detail else line
    blocks = [*_fix_blocks(action, index), _section(result, f"fix-{index}-result")]
    # Who clicked, named without a mention: an edit's fallback need not notify them again.
    return _message(f"Fix {index + 1}: " + mrkdwn.MENTIONED.sub(r"@\1", line), blocks, safe=True)


def _verification(execution: Execution | None) -> str:
    if execution is None or execution.verified is None:
        return "verification unknown"
    if execution.verified:
        return "verified"
    return f"not verified: {mrkdwn.line(execution.verification or 'no reason given', 1_000)}"


def _fix_blocks(action: ProposedAction, index: int) -> list[Block]:
    """What a card shows before and after the click: the fix, its command and what it runs."""
    kind = f" · {mrkdwn.inline(action.action_class, 100)}" if action.action_class else ""
    head = f"*Proposed fix {index + 1}*{kind}\n{mrkdwn.fit(action.rationale, 2_000)}"
    blocks = [_section(head, f"fix-{index}-head")]
    for n, piece in enumerate(mrkdwn.code_pieces(shlex.join(action.command))):
        blocks.append(_section(piece, f"fix-{index}-command-{n}"))
    if action.runbook is not None:
        ref = action.runbook
        blocks.append(
            _context(
                f"Runs the runbook {mrkdwn.inline(f'{ref.configmap}/{ref.key}', 300)} as it was at "
                f"resourceVersion {mrkdwn.inline(ref.resource_version, 100)}; a changed runbook is "
                "refused."
            )
        )
    if action.manifest is not None:
        lines = action.manifest.splitlines()
        excerpt = "\n".join(lines[:8]) + (
            f"\n… {len(lines) - 8} more lines" if len(lines) > 8 else ""
        )
        blocks.append(
            _section(
                f"Applies the manifest with sha256 {mrkdwn.inline(digest(action.manifest))}, "
                f"exactly as approved:\n{mrkdwn.code(excerpt, 600)}",
                f"fix-{index}-manifest",
            )
        )
    return blocks


def rejection_modal(*, private_metadata: str) -> dict[str, Any]:
    """The modal a Reject click opens, asking what is wrong with the fix."""
    if len(private_metadata) > METADATA_CHARS:
        raise ValueError(
            f"private_metadata is {len(private_metadata)} characters; Slack allows {METADATA_CHARS}"
        )
    return {
        "type": "modal",
        "callback_id": REJECT_CALLBACK,
        "title": {"type": "plain_text", "text": "Reject fix"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": private_metadata,
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "What is wrong with this fix?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "reason",
                    "multiline": True,
                    "placeholder": {
                        "type": "plain_text",
                        "text": "e.g. wrong deployment, or restart instead of scaling",
                    },
                },
            }
        ],
    }
