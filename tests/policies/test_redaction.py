"""Redaction against a corpus: every secret masked, ordinary Kubernetes output untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.policy import ExtraPattern, RedactionRules
from policies.redaction import redact

CORPUS: dict[str, Any] = yaml.safe_load(
    Path(__file__).with_name("redaction_corpus.yaml").read_text()
)


def test_the_corpus_is_large() -> None:
    assert sum(len(c["secrets"]) for c in CORPUS["secrets"]) >= 100
    kinds = {c["kind"] for c in CORPUS["secrets"]}
    assert kinds >= {"jwt", "bearer", "aws", "gcp", "azure", "pem", "slack", "github", "url",
                     "env", "config", "secret_manifest", "email", "alert"}  # fmt: skip


@pytest.mark.parametrize("case", CORPUS["secrets"], ids=lambda c: c["kind"])
def test_every_secret_is_masked(case: dict[str, Any]) -> None:
    result = redact(case["text"])
    for secret in case["secrets"]:
        assert secret not in result.text, result.text
    assert result.total >= 1 and "[REDACTED:" in result.text


@pytest.mark.parametrize("text", CORPUS["ordinary"])
def test_ordinary_output_is_untouched(text: str) -> None:
    result = redact(text)
    assert result.text == text, result.counts


def test_extra_patterns_and_ip_masking_are_configurable() -> None:
    rules = RedactionRules(
        mask_ips=True, extra_patterns=[ExtraPattern(name="internal", regex=r"itk_[a-z0-9]{8}")]
    )
    result = redact("pod 10.244.1.11 used itk_abcd1234", rules)
    assert result.text == "pod [REDACTED:ip] used [REDACTED:internal]"
    assert redact("pod 10.244.1.11").text == "pod 10.244.1.11"


def test_a_large_text_redacted_again_gives_the_same_answer_under_the_same_rules() -> None:
    filler = "".join(f'        "pod-{i}": "10.244.1.{i % 250}",\n' for i in range(3000))
    text = f'{{\n        "password": "hunter2hunter2",\n{filler}}}\n'
    assert len(text) > 64 * 1024  # large enough to be remembered
    first = redact(text)
    assert first.counts == {"credential": 1} and "hunter2" not in first.text
    first.counts["credential"] = 99  # the caller's own copy
    again = redact(text)
    assert again.text == first.text and again.counts == {"credential": 1}
    # Other rules are another question: the remembered answer is not theirs.
    with_ips = redact(text, RedactionRules(mask_ips=True))
    assert with_ips.counts["ip"] == 3000 and "10.244.1.7" not in with_ips.text
    assert redact(text).text == first.text
