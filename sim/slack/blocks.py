"""Block Kit as Slack checks it (the limits a real workspace enforces) and as a person reads
it (plain text, for transcripts).

Errors use Slack's wording, `"<problem> [json-pointer:/blocks/0/text/text]"`; the checks are a
best-effort subset of Slack's schema, chosen for the mistakes a bot really makes: blocks too
many or too long, missing text, unknown block types, misspelt properties, duplicate ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

_BLOCK_KEYS: dict[str, set[str]] = {
    "section": {"text", "fields", "accessory", "expand"},
    "header": {"text"},
    "context": {"elements"},
    "actions": {"elements"},
    "divider": set(),
    "image": {"image_url", "alt_text", "title", "slack_file"},
    "input": {"label", "element", "hint", "optional", "dispatch_action"},
    "rich_text": {"elements"},
    "markdown": {"text"},
    "file": {"external_id", "source"},
    "video": {"alt_text", "title", "thumbnail_url", "video_url", "author_name", "description"},
}
_BUTTON_KEYS = {
    "type",
    "text",
    "action_id",
    "value",
    "url",
    "style",
    "confirm",
    "accessibility_label",
}


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.block_ids: set[str] = set()

    def text(self, obj: Any, pointer: str, limit: int, plain_only: bool = False) -> None:
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            self.errors.append(f"must provide an object [json-pointer:{pointer}]")
            return
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if obj.get("type") not in allowed:
            self.errors.append(
                f"must be one of the following values: {', '.join(allowed)} "
                f"[json-pointer:{pointer}/type]"
            )
        if not obj["text"]:
            self.errors.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
        elif len(obj["text"]) > limit:
            self.errors.append(_too_long(limit, f"{pointer}/text"))

    def element(self, element: Any, pointer: str) -> None:
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            self.errors.append(f"must provide an object [json-pointer:{pointer}]")
            return
        if len(str(element.get("action_id", ""))) > 255:
            self.errors.append(_too_long(255, f"{pointer}/action_id"))
        if element["type"] != "button":
            return
        for key in element.keys() - _BUTTON_KEYS:
            self.errors.append(f"invalid additional property: {key} [json-pointer:{pointer}]")
        self.text(element.get("text"), f"{pointer}/text", 75, plain_only=True)
        if len(str(element.get("value", ""))) > 2000:
            self.errors.append(_too_long(2000, f"{pointer}/value"))
        if len(str(element.get("url", ""))) > 3000:
            self.errors.append(_too_long(3000, f"{pointer}/url"))
        if "style" in element and element["style"] not in ("primary", "danger"):
            self.errors.append(
                "must be one of the following values: primary, danger "
                f"[json-pointer:{pointer}/style]"
            )

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_KEYS:
            self.errors.append(f"failed to match all allowed schemas [json-pointer:{pointer}]")
            return
        kind = block["type"]
        for key in block.keys() - _BLOCK_KEYS[kind] - {"type", "block_id"}:
            self.errors.append(f"invalid additional property: {key} [json-pointer:{pointer}]")
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > 255:
                self.errors.append(_too_long(255, f"{pointer}/block_id"))
            if block_id in self.block_ids:
                self.errors.append(
                    f"duplicate block_id: {block_id} [json-pointer:{pointer}/block_id]"
                )
            self.block_ids.add(block_id)
        getattr(self, f"_{kind}", lambda b, p: None)(block, pointer)

    def _section(self, block: dict[str, Any], pointer: str) -> None:
        fields = block.get("fields")
        if "text" not in block and not fields:
            self.errors.append(f"must provide either text or fields [json-pointer:{pointer}]")
        if "text" in block:
            self.text(block["text"], f"{pointer}/text", 3000)
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                self.errors.append(f"no more than 10 items allowed [json-pointer:{pointer}/fields]")
            else:
                for i, field in enumerate(fields):
                    self.text(field, f"{pointer}/fields/{i}", 2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory")

    def _header(self, block: dict[str, Any], pointer: str) -> None:
        self.text(block.get("text"), f"{pointer}/text", 150, plain_only=True)

    def _context(self, block: dict[str, Any], pointer: str) -> None:
        self._elements(block, pointer, 10, check=False)

    def _actions(self, block: dict[str, Any], pointer: str) -> None:
        self._elements(block, pointer, 25, check=True)

    def _elements(self, block: dict[str, Any], pointer: str, limit: int, check: bool) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.errors.append(f"must provide an array [json-pointer:{pointer}/elements]")
        elif len(elements) > limit:
            self.errors.append(
                f"no more than {limit} items allowed [json-pointer:{pointer}/elements]"
            )
        elif check:
            for i, element in enumerate(elements):
                self.element(element, f"{pointer}/elements/{i}")

    def _input(self, block: dict[str, Any], pointer: str) -> None:
        self.text(block.get("label"), f"{pointer}/label", 2000, plain_only=True)
        self.element(block.get("element"), f"{pointer}/element")


def validate_blocks(
    blocks: Any, limit: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks"
) -> list[str]:
    """Slack's `invalid_blocks` errors for `blocks`; an empty list means Slack accepts them."""
    if not isinstance(blocks, list):
        return [f"must provide an array [json-pointer:{pointer}]"]
    if len(blocks) > limit:
        return [f"no more than {limit} items allowed [json-pointer:{pointer}]"]
    checker = _Checker()
    for i, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{i}")
    return checker.errors


# --- reading -------------------------------------------------------------------------------

_MENTION = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<([^@#!>][^>|]*)(?:\|([^>]*))?>")

NameOf = Callable[[str], str]


def plain(text: str, name_of: NameOf = lambda user_id: user_id) -> str:
    """Slack's markup made readable: `<@U1>` -> `@dana`, `<url|label>` -> `label (url)`."""

    def mention(match: re.Match[str]) -> str:
        sigil, target, label = match.groups()
        if sigil == "@":
            return f"@{name_of(target)}"
        if sigil == "#":
            return f"#{label or target}"
        if target.startswith("subteam^"):
            return f"@{label.lstrip('@') if label else target.removeprefix('subteam^')}"
        return f"@{label or target}"

    def link(match: re.Match[str]) -> str:
        url, label = match.groups()
        return f"{label} ({url})" if label else url

    text = _LINK.sub(link, _MENTION.sub(mention, text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def _element_text(element: Any) -> str:
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "button":
        return f"[{_text_of(element.get('text'))}]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("plain_text", "mrkdwn"):
        return _text_of(element)
    placeholder = _text_of(element.get("placeholder"))
    return f"[{placeholder or kind}]"


def _rich_text(elements: Any) -> str:
    parts: list[str] = []
    for element in elements if isinstance(elements, list) else []:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "text":
            parts.append(str(element.get("text", "")))
        elif kind == "user":
            parts.append(f"<@{element.get('user_id')}>")
        elif kind == "link":
            parts.append(str(element.get("text") or element.get("url", "")))
        elif kind == "emoji":
            parts.append(f":{element.get('name')}:")
        elif "elements" in element:
            parts.append(_rich_text(element["elements"]))
    return "".join(parts)


def block_lines(block: dict[str, Any]) -> list[str]:
    """One block as the lines of text a reader sees (buttons as `[Approve]`)."""
    kind = block.get("type")
    if kind == "header":
        return [f"# {_text_of(block.get('text'))}"]
    if kind == "divider":
        return ["---"]
    if kind == "section":
        lines = [_text_of(block.get("text"))] if "text" in block else []
        lines += [_text_of(field) for field in block.get("fields") or []]
        if "accessory" in block:
            lines.append(_element_text(block["accessory"]))
        return lines
    if kind == "context":
        return [" | ".join(_element_text(e) for e in block.get("elements") or [])]
    if kind == "actions":
        return [" ".join(_element_text(e) for e in block.get("elements") or [])]
    if kind == "input":
        return [f"{_text_of(block.get('label'))}: {_element_text(block.get('element'))}"]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind in ("rich_text", "markdown"):
        return [_rich_text(block.get("elements")) or str(block.get("text", ""))]
    return [f"[{kind} block]"]


def render_blocks(blocks: list[dict[str, Any]], name_of: NameOf = lambda u: u) -> str:
    """Blocks as readable plain text, one line per line of the rendered message."""
    lines: list[str] = []
    for block in blocks:
        lines += block_lines(block)
    return "\n".join(plain(line, name_of) for line in lines)
