"""The policy file: protected namespaces, which namespaces each incident channel may touch,
who may approve each action class, approval expiry, and write limits. One pydantic schema;
`policies/default.yaml` is the documented default."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelRule(_Strict):
    namespaces: list[str] = Field(default_factory=list)


class ApproverRule(_Strict):
    users: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    self_approve: bool = False


class Approvals(_Strict):
    expiry_minutes: int = Field(30, gt=0)
    default: ApproverRule = Field(default_factory=ApproverRule)
    classes: dict[str, ApproverRule] = Field(default_factory=dict)


class Limits(_Strict):
    max_replicas: int = Field(20, ge=0)
    max_replica_change: int | None = Field(10, ge=0)
    allow_scale_to_zero: bool = False
    max_pods_deleted: int = Field(3, ge=0)


class ExecutorRules(_Strict):
    manifest_dir: str = "~/.aoi/manifests"
    allow_drain: bool = False
    # Removing a Released PersistentVolume's claimRef (so the claim that replaced its deleted
    # one binds it again); off unless a policy turns it on.
    allow_volume_reclaim: bool = False
    # Deleting Chaos Mesh experiments (ends an injected fault); off unless a policy says so.
    allow_end_chaos: bool = False
    # Operators' own runbook scripts, per namespace: the ConfigMaps whose files an approved
    # `kubectl exec POD -n NS -- bash FILE` may run (the Executor checks that FILE is mounted
    # from one of them, unchanged since the proposal). None anywhere unless a policy says so.
    runbooks: dict[str, list[str]] = Field(default_factory=dict)

    def runbooks_in(self, namespace: str | None) -> list[str]:
        return list(self.runbooks.get(namespace or "", []))


class ExtraPattern(_Strict):
    name: str
    regex: str


class RedactionRules(_Strict):
    mask_ips: bool = False
    extra_patterns: list[ExtraPattern] = Field(default_factory=list)


class Policy(_Strict):
    version: int = 1
    protected_namespaces: list[str] = Field(default_factory=list)
    channels: dict[str, ChannelRule] = Field(default_factory=dict)
    contexts: list[str] = Field(default_factory=list)
    approvals: Approvals = Field(default_factory=Approvals)
    limits: Limits = Field(default_factory=Limits)
    executor: ExecutorRules = Field(default_factory=ExecutorRules)
    redaction: RedactionRules = Field(default_factory=RedactionRules)

    def namespaces_for(self, channel: str | None) -> list[str]:
        """The namespaces incidents of this channel may write to."""
        rule = self.channels.get(channel or "*") or self.channels.get("*")
        return list(rule.namespaces) if rule else []

    def approvers(self, action_class: str) -> ApproverRule:
        return self.approvals.classes.get(action_class, self.approvals.default)

    def may_approve(
        self,
        action_class: str,
        approver: str,
        approver_groups: set[str],
        requester: str | None,
    ) -> tuple[bool, str]:
        """Whether this Slack user may approve an action of this class, and why not."""
        rule = self.approvers(action_class)
        if requester is not None and approver == requester and not rule.self_approve:
            return False, "the requester may not approve their own action"
        if approver in rule.users or approver_groups & set(rule.groups):
            return True, "allowed by policy"
        return False, f"not an approver for {action_class} actions"


class PolicyError(ValueError):
    """A policy file that cannot be used, with what is wrong."""


def load_policy(path: Path | None = None) -> Policy:
    """The policy in `path`, or the default one."""
    if path is None:
        return default_policy()
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise PolicyError(f"{path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not YAML: {exc}") from exc
    return _validate(data, str(path))


@cache
def default_policy() -> Policy:
    text = resources.files("policies").joinpath("default.yaml").read_text()
    return _validate(yaml.safe_load(text), "policies/default.yaml")


def _validate(data: object, source: str) -> Policy:
    try:
        return Policy.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise PolicyError(f"{source}: {problems}") from exc
