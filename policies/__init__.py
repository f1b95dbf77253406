"""Safety as architecture: every command an agent wants to run passes `classify_command`
(read/write separation by role, deny by default), writes need an approval the policy allows,
and `redact` masks secrets and personal data before text reaches a model or storage.

Imports nothing else of ours, so it can be audited alone."""

from policies.classify import ROLES, Decision, Role, classify_command
from policies.policy import Policy, PolicyError, default_policy, load_policy

__all__ = [
    "ROLES",
    "Decision",
    "Policy",
    "PolicyError",
    "Role",
    "classify_command",
    "default_policy",
    "load_policy",
]
