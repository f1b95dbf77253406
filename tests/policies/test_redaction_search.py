"""Redaction searches only where a match can be (a rule's hint, the lines holding it): that
must mask exactly what searching the whole text with every rule masks."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.policy import RedactionRules
from policies.redaction import IP_RULE, RULES, Redaction, _replacer, _secret_manifests, redact

CORPUS: dict[str, Any] = yaml.safe_load(
    Path(__file__).with_name("redaction_corpus.yaml").read_text()
)
TEXTS = [c["text"] for c in CORPUS["secrets"]] + list(CORPUS["ordinary"])


def _everywhere(text: str, rules: RedactionRules | None = None) -> Redaction:
    """Every rule over the whole text, with no hint: what `redact` must equal."""
    rules = rules or RedactionRules()
    counts: Counter[str] = Counter()
    text = _secret_manifests(text, counts)
    for rule in [*RULES, *([IP_RULE] if rules.mask_ips else [])]:
        text = rule.pattern.sub(_replacer(rule, counts), text)
    return Redaction(text, counts)


def _same(text: str, rules: RedactionRules | None = None) -> None:
    fast, full = redact(text, rules), _everywhere(text, rules)
    assert (fast.text, fast.counts) == (full.text, full.counts)


def test_every_hint_is_in_every_match() -> None:
    for case in CORPUS["secrets"]:
        for rule in RULES:
            for found in rule.pattern.finditer(case["text"]):
                if rule.hint is not None and rule.hint_any is not None:
                    whole = found.group(0)
                    assert rule.hint_any.search(whole), (rule.kind, whole)
                    if whole.isascii():
                        assert rule.hint.search(whole.lower()), (rule.kind, whole)
                if rule.one_line:
                    assert "\n" not in found.group(0), rule.kind


def test_the_corpus_alone_and_run_together() -> None:
    for text in TEXTS:
        _same(text)
        _same(text, RedactionRules(mask_ips=True))
    _same("\n".join(TEXTS))
    _same(" ".join(TEXTS))  # secrets next to each other on one line
    _same(json.dumps({"items": TEXTS}, indent=2))  # inside a JSON document


FRAGMENTS = [
    "password", "PASSWORD", "passwd", "Pwd", "secret", "token", "Token", "api_key", "apiKey",
    "access-key", "private_key", "credentials", "auth_key", "secretName", "tokenPath",
    "Bearer ", "bearer\n", "AKIA", "AIza", "eyJ", "Q~", "xoxb-", "ghp_", "github_pat_", "@",
    "://", "user:", "hooks.slack.com/services/T0/B0/", "-----BEGIN PRIVATE KEY-----",
    "-----END PRIVATE KEY-----", "AccountKey=", "kind: Secret", "data:", '"private_key_id"',
    ": ", "=", '"', "'", "{", "}", ",", " ", "\t", "\n", "\r\n", "-", ".", "ı", "ſ", "K",
    "x" * 20, "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0", "0123456789abcdef" * 3,
    "10.244.1.7", "ops@example.com", "https://u:p4ss@db.example",
]  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40), st.booleans())
def test_any_mix_of_secret_shaped_fragments(parts: list[str], ips: bool) -> None:
    _same("".join(parts), RedactionRules(mask_ips=ips))


def test_a_hint_in_a_long_document_searches_only_its_line() -> None:
    lines = [f'  "name": "container-{i}",' for i in range(2000)]
    lines[1234] = '  "env": "DB_PASSWORD=hunter2-not-real",'
    text = "\n".join(lines)
    _same(text)
    cleaned = redact(text).text.split("\n")
    assert cleaned[1234] == '  "env": "DB_PASSWORD=[REDACTED:credential]",'
    assert cleaned[:1234] == lines[:1234] and cleaned[1235:] == lines[1235:]
    assert re.search(r"container-1999", cleaned[-1])
