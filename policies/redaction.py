"""Masking secrets and personal data in any text before it reaches a model or storage.

Each rule recognises one kind of secret by its own shape (a JWT, an AWS key id, a PEM block)
or by the name it is given (`password=`, `"apiKey":`, a Secret manifest's `data:`), and
replaces only the secret part with `[REDACTED:<kind>]`. There is deliberately no generic
"high-entropy string" rule: image digests, UIDs, pod-name hashes and resourceVersions are
what Kubernetes output is made of and must stay readable.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from policies.policy import RedactionRules


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    group: int = 0  # the group holding the secret (0: the whole match)
    key_group: int | None = None  # the group holding the name it was given, if any
    # Speed only, never what is masked: `hint` finds text every match contains, in lower
    # case (a text without it cannot match, so the rule is skipped); for a rule whose
    # matches never span a newline (`one_line`), only the lines holding a hint are searched.
    # An ASCII text is searched lowered, with `hint` as written: case-sensitive search is
    # several times faster than re.IGNORECASE. Any other text (where lowering may change
    # lengths, and IGNORECASE matches `ſ` for `s`) is searched with `hint_any`.
    hint: re.Pattern[str] | None = None
    hint_any: re.Pattern[str] | None = None
    one_line: bool = False


def _rule(
    kind: str,
    regex: str,
    group: int = 0,
    key_group: int | None = None,
    *,
    hint: str | None = None,
    one_line: bool = False,
) -> Rule:
    if hint is not None and hint != hint.lower():
        raise ValueError(f"the hint of {kind} must be written in lower case")
    lowered = None if hint is None else re.compile(hint)
    anycase = None if hint is None else re.compile(hint, re.IGNORECASE)
    return Rule(kind, re.compile(regex), group, key_group, lowered, anycase, one_line)


# Kubernetes field names that contain "secret" or "token" but hold a reference or a setting,
# never a secret: masking them would mangle ordinary manifests and `kubectl describe`.
K8S_FIELDS = {
    "secretname",
    "secretref",
    "secretkeyref",
    "secretproviderclass",
    "imagepullsecrets",
    "tokenexpirationseconds",
    "automountserviceaccounttoken",
    "serviceaccounttoken",
    "token_path",
    "tokenpath",
    "tokenfile",
    "token-file",
    "password_file",
    "passwordfile",
    "credentialsfile",
    "secrets-store",
    "secret_name",
    "secret-name",
}


# Order matters: whole blocks and specific shapes first, then names.
RULES: tuple[Rule, ...] = (
    _rule(
        "private_key",
        # A whole block, or (in JSON strings, one line with \n escapes) up to its end.
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?"
        r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----"
        r"|-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\\n|[A-Za-z0-9+/=\s])*",
        hint="private key-----",
    ),
    _rule(
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        hint="eyj",
        one_line=True,
    ),
    _rule(
        "bearer_token",
        r"(?i)\b(?:bearer|token)\s+([A-Za-z0-9\-._~+/]{16,}=*)",
        1,
        hint=r"(?:bearer|token)\s",
    ),
    _rule(
        "aws_access_key",
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b",
        hint="akia|asia|agpa|aida|aroa|anpa|anva|aipa",
        one_line=True,
    ),
    _rule(
        "aws_secret_key",
        r"(?i)(?:aws)?_?secret_?(?:access)?_?key\b[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        1,
        hint="secret_?(?:access)?_?key",
    ),
    _rule("gcp_api_key", r"\bAIza[0-9A-Za-z_-]{35}\b", hint="aiza", one_line=True),
    _rule(
        "gcp_private_key_id",
        r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\"",
        1,
        hint='"private_key_id"',
    ),
    _rule(
        "azure_key",
        r"(?i)(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/=]{20,})",
        1,
        hint="accountkey=|sharedaccesskey=",
        one_line=True,
    ),
    _rule(
        "azure_client_secret",
        r"\b[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}\b",
        hint="q~",
        one_line=True,
    ),
    _rule(
        "slack_token",
        r"\bxox[abposr]-[0-9A-Za-z-]{10,}\b|\bxapp-\d-[A-Za-z0-9-]{10,}\b",
        hint="xox|xapp-",
        one_line=True,
    ),
    _rule(
        "slack_webhook",
        r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}",
        hint="hooks.slack.com",
        one_line=True,
    ),
    _rule(
        "github_token",
        r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}\b",
        hint="gh[pousr]_|github_pat_",
        one_line=True,
    ),
    _rule(
        "url_password",
        r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@",
        1,
        hint="@",
        one_line=True,
    ),
    _rule(
        "credential",
        # `password: x`, `DB_PASSWORD=x`, `"apiKey": "x"`, `--token=x`, `client_secret = x`
        r"(?im)(?:^|(?<=[\s\"'{,(-]))([\w.-]*(?:pass[_-]?w(?:or)?d|passwd|pwd|secret|token"
        r"|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth[_-]?key)[\w.-]*)"
        r"[\"']?[ \t]*[:=][ \t]*[\"']?(?!<)([^\s\"',}]{3,})",
        2,
        key_group=1,
        hint="pass[_-]?w(?:or)?d|passwd|pwd|secret|token|api[_-]?key|access[_-]?key"
        "|private[_-]?key|credential|auth[_-]?key",
        one_line=True,
    ),
    _rule(
        "email",
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
        hint="@",
        one_line=True,
    ),
)
IP_RULE = _rule("ip", r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
# `secret_name`, `token-ttl`, `password_file`, `tokenExpirationSeconds`: about a secret.
SETTING_SUFFIXES = ("name", "ref", "ttl", "file", "path", "seconds", "expiration", "mode", "type")
# Values that look like credentials by name but say nothing secret.
HARMLESS = {"true", "false", "null", "none", "<none>", "redacted", "***", "changeme?"}


def _names_a_setting(key: str) -> bool:
    """A key that mentions secrets or tokens but holds a reference or a setting."""
    key = key.lower()
    return key in K8S_FIELDS or key.endswith(SETTING_SUFFIXES)


@dataclass
class Redaction:
    text: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def mask(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# Large texts redacted lately, with their result: the same big read (a namespace's objects
# as JSON, 0.1 s to redact) comes back while nothing changes, from a thread's follow-up
# questions or the tasks of one eval scenario. Texts are compared whole, not by a digest.
# Characters: a smaller text costs little to redact (0.9 MB take 0.1 s) and would only push
# the large ones out.
REMEMBER_FROM = 64 * 1024
REMEMBERED = 8
_remembered: OrderedDict[tuple[str, str], Redaction] = OrderedDict()
_remembered_lock = threading.Lock()


def redact(text: str, rules: RedactionRules | None = None) -> Redaction:
    """`text` with every secret it holds masked, and how many of each kind."""
    rules = rules or RedactionRules()
    if len(text) < REMEMBER_FROM:
        return _redact(text, rules)
    key = (text, rules.model_dump_json())
    with _remembered_lock:
        done = _remembered.get(key)
        if done is not None:
            _remembered.move_to_end(key)
    if done is None:
        done = _redact(text, rules)
        with _remembered_lock:
            _remembered[key] = done
            while len(_remembered) > REMEMBERED:
                _remembered.popitem(last=False)
    return Redaction(done.text, Counter(done.counts))  # the caller's own to change


def _redact(text: str, rules: RedactionRules) -> Redaction:
    counts: Counter[str] = Counter()
    text = _secret_manifests(text, counts)
    active = list(RULES)
    active += [_rule(p.name, p.regex) for p in rules.extra_patterns]
    if rules.mask_ips:
        active.append(IP_RULE)
    lowered = text.lower() if text.isascii() else None
    for rule in active:
        masked = _apply(rule, text, lowered, _replacer(rule, counts))
        if masked != text:  # str equality checks identity first
            text = masked
            lowered = text.lower() if lowered is not None else None
    return Redaction(text, counts)


def _apply(
    rule: Rule, text: str, lowered: str | None, replace: Callable[[re.Match[str]], str]
) -> str:
    """`rule.pattern.sub(replace, text)`, searching only where a match can be; `lowered`:
    the text in lower case if it is ASCII (same length, same positions), else None."""
    if rule.hint is None or rule.hint_any is None:
        return rule.pattern.sub(replace, text)
    hint, haystack = (rule.hint, lowered) if lowered is not None else (rule.hint_any, text)
    if not rule.one_line:
        return rule.pattern.sub(replace, text) if hint.search(haystack) else text
    # No match spans a newline, so each line holding a hint is searched on its own: `^`
    # and `\b` at its edges mean what they mean after or before the newline.
    out: list[str] = []
    done = 0
    for found in hint.finditer(haystack):
        if found.start() < done:
            continue  # in a line already searched
        start = text.rfind("\n", 0, found.start()) + 1
        end = text.find("\n", found.end())
        end = len(text) if end < 0 else end
        out += (text[done:start], rule.pattern.sub(replace, text[start:end]))
        done = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _replacer(rule: Rule, counts: Counter[str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        secret = match.group(rule.group)
        if secret is None or "[REDACTED:" in secret or secret.lower() in HARMLESS:
            return match.group(0)
        if rule.key_group is not None and _names_a_setting(match.group(rule.key_group)):
            return match.group(0)
        counts[rule.kind] += 1
        start, end = match.span(rule.group)
        whole = match.group(0)
        offset = match.start(0)
        return whole[: start - offset] + mask(rule.kind) + whole[end - offset :]

    return replace


_SECRET_KIND = re.compile(r"(?m)^\s*\"?kind\"?\s*:\s*\"?Secret\"?\s*,?\s*$")
_DATA_BLOCK = re.compile(r"(?m)^(\s*)\"?(?:data|stringData)\"?\s*:\s*(\{)?\s*$")
_YAML_ENTRY = re.compile(r"^(\s*)([\w.-]+|\"[^\"]+\")\s*:\s*(.+)$")


def _secret_manifests(text: str, counts: Counter[str]) -> str:
    """Every value under `data:`/`stringData:` of a Secret manifest (YAML or JSON)."""
    if "Secret" not in text or not _SECRET_KIND.search(text):
        return text
    lines = text.split("\n")
    inside: str | None = None  # the indentation of the data block's entries' parent
    for i, line in enumerate(lines):
        block = _DATA_BLOCK.match(line)
        if block is not None:
            inside = block.group(1)
            continue
        if inside is None:
            continue
        entry = _YAML_ENTRY.match(line)
        if entry is None or len(entry.group(1)) <= len(inside):
            inside = None if line.strip() not in ("", "}", "},") else inside
            if line.strip().startswith("}"):
                inside = None
            continue
        value = entry.group(3)
        comma = "," if value.rstrip().endswith(",") else ""
        quote = '"' if value.strip().startswith('"') else ""
        lines[i] = f"{entry.group(1)}{entry.group(2)}: {quote}{mask('secret_data')}{quote}{comma}"
        counts["secret_data"] += 1
    return "\n".join(lines)
