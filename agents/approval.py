"""Approval records: the only way the Executor may write. A record can be made only by
`approve`, which checks the policy (who may approve this action class, not their own), so a
model, a log line or a bug elsewhere cannot conjure one. An approval of `kubectl apply -f`
also carries the manifest it approves; it covers that file only while the file's sha256 is
the approved one. An approval of a runbook exec carries the runbook it approves, which the
Executor checks against the cluster before it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from agents import manifests
from agents.models import RunbookRef
from policies import Policy, classify_command, default_policy

_MINT = object()  # only this module holds it


class ApprovalError(PermissionError):
    """The approval is refused, with the policy's reason."""


@dataclass(frozen=True)
class ApprovalRecord:
    command: tuple[str, ...]
    action_class: str
    approver: str
    requester: str | None
    expires: datetime
    granted: datetime = field(default_factory=lambda: datetime.now(UTC))
    manifest: str | None = None  # what an approved `kubectl apply -f` may apply
    runbook: RunbookRef | None = None  # the script an approved `kubectl exec` may run
    _mint: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise ApprovalError("approval records come only from agents.approval.approve")

    def covers(self, argv: list[str] | tuple[str, ...], manifest: str | None = None) -> bool:
        """Whether this record allows running `argv` now; for an apply, `manifest` is the
        text the file holds at that moment and must be the approved one."""
        if tuple(argv) != self.command or datetime.now(UTC) >= self.expires:
            return False
        if self.manifest is None:
            return manifest is None
        return manifest is not None and manifests.digest(manifest) == self.manifest_sha256

    @property
    def manifest_sha256(self) -> str | None:
        return None if self.manifest is None else manifests.digest(self.manifest)


def approve(
    argv: list[str],
    approver: str,
    approver_groups: set[str],
    requester: str | None = None,
    policy: Policy | None = None,
    channel: str | None = None,
    manifest: str | None = None,
    runbook: RunbookRef | None = None,
) -> ApprovalRecord:
    """An approval of exactly this command (and, for an apply, exactly this manifest) by
    this person, if the policy lets them give it."""
    policy = policy or default_policy()
    decision = classify_command(argv, "executor", policy, channel)
    if decision.decision != "needs_approval" or decision.action_class is None:
        raise ApprovalError(f"nothing to approve: {decision.reason}")
    if decision.action_class == "apply" or manifest is not None:
        if manifest is None:
            raise ApprovalError("an apply is approved together with the manifest it applies")
        try:
            manifests.check(manifest, argv, decision.namespace)
        except manifests.ManifestError as exc:
            raise ApprovalError(f"manifest refused: {exc}") from None
    if (decision.action_class == "run_runbook") != (runbook is not None):
        raise ApprovalError(
            "a runbook exec is approved together with the runbook it runs, and only it"
        )
    allowed, why = policy.may_approve(decision.action_class, approver, approver_groups, requester)
    if not allowed:
        raise ApprovalError(why)
    return ApprovalRecord(
        command=tuple(argv),
        action_class=decision.action_class,
        approver=approver,
        requester=requester,
        expires=datetime.now(UTC) + timedelta(minutes=policy.approvals.expiry_minutes),
        manifest=manifest,
        runbook=runbook,
        _mint=_MINT,
    )
