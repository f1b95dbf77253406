"""Properties that must hold for every command, whatever else it says: a shell operator, an
identity or config escape, or a read of Secrets is never allowed, for any role."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policies import ROLES, classify_command

VERBS = ["get", "describe", "logs", "top", "events", "rollout", "scale", "patch", "delete",
         "set", "label", "annotate", "apply", "cordon", "explain", "auth", "version"]  # fmt: skip
WORDS = ["pods", "deploy/geo", "geo-1", "restart", "status", "image", "node", "svc", "-n",
         "test-hotel-reservation", "--namespace=test-social-network", "-o", "yaml", "-A",
         "--replicas=2", "--current-replicas=1", "--dry-run=server", "-p", "{}", "-l", "app=x",
         "--tail=5", "a=b", "-c", "geo", "kind-worker", "--", "--type=json"]  # fmt: skip
OPERATORS = [";", "|", "||", "&&", "&", "`", "$(", "${", ">", "<", "\n", "\r"]
IDENTITY = ["--as=admin", "--as", "--as-group=system:masters", "--as-uid=0", "--token=x",
            "--token", "--kubeconfig=/k", "--kubeconfig", "--server=https://x", "--server",
            "-s", "-s=https://x", "--insecure-skip-tls-verify", "--user=u", "--cluster=c",
            "--username=u", "--password=p", "--client-key=k",
            "--certificate-authority=c"]  # fmt: skip
SECRETS = ["secret", "secrets", "Secret", "SECRETS", "secret/db", "secrets/db", "secret.v1.",
           "pods,secrets", "secrets,pods", "deploy,Secret", "SeCrEtS/x"]  # fmt: skip

words = st.lists(st.sampled_from(WORDS + VERBS), max_size=8)


def _never_runs(argv: list[str]) -> None:
    for role in ROLES:
        decision = classify_command(argv, role)
        assert decision.decision == "deny", (argv, role, decision.reason)


@settings(max_examples=400, deadline=None)
@given(words, st.sampled_from(VERBS), words, st.sampled_from(OPERATORS), st.text(max_size=6),
       st.integers(min_value=0, max_value=20))  # fmt: skip
def test_a_shell_operator_anywhere_is_denied(
    before: list[str], verb: str, after: list[str], op: str, text: str, at: int
) -> None:
    argv = ["kubectl", *before, verb, *after]
    position = 1 + at % len(argv)
    argv.insert(position, f"{text}{op}{text}")
    _never_runs(argv)


@settings(max_examples=400, deadline=None)
@given(words, st.sampled_from(VERBS), words, st.sampled_from(IDENTITY),
       st.integers(min_value=0, max_value=20))  # fmt: skip
def test_an_identity_or_config_escape_anywhere_is_denied(
    before: list[str], verb: str, after: list[str], flag: str, at: int
) -> None:
    argv = ["kubectl", *before, verb, *after]
    argv.insert(1 + at % len(argv), flag)
    _never_runs(argv)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["get", "describe"]), st.sampled_from(SECRETS), words, words)
def test_a_secret_read_in_any_spelling_is_denied(
    verb: str, secret: str, before: list[str], after: list[str]
) -> None:
    flags = [w for w in before if w.startswith("-") and w not in ("-n", "-o", "-l", "-c", "-p")]
    _never_runs(["kubectl", *flags, verb, secret, *after])
