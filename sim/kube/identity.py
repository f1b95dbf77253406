"""Who may do what: the two identities of an emulated cluster, their tokens and their rights.

They mirror the production design (deploy/ RBAC): a read-only ServiceAccount for the Probe,
which may not read Secrets, and a writer for the Executor. The authorizer answers with the same
403 a real API server gives, so code that handles RBAC denials is tested against the real shape.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sim.kube.resources import READ_VERBS, ResourceType

READER = "system:serviceaccount:aoi:aoi-probe"
WRITER = "system:serviceaccount:aoi:aoi-executor"
ADMIN = "kubernetes-admin"


@dataclass(frozen=True)
class Identity:
    user: str
    can_write: bool
    can_read_secrets: bool

    def allows(self, verb: str, rt: ResourceType) -> bool:
        if rt.kind == "Secret" and not self.can_read_secrets:
            return False
        return verb in READ_VERBS or self.can_write


@dataclass
class Identities:
    """Bearer tokens of the cluster's users; each cluster start makes new random ones."""

    reader_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    writer_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def lookup(self, token: str) -> Identity | None:
        table = {
            self.reader_token: Identity(READER, can_write=False, can_read_secrets=False),
            self.writer_token: Identity(WRITER, can_write=True, can_read_secrets=True),
            self.admin_token: Identity(ADMIN, can_write=True, can_read_secrets=True),
        }
        for known, identity in table.items():
            if secrets.compare_digest(known, token):
                return identity
        return None
