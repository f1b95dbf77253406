"""MongoDB state that outlives pods (users and roles on a data volume) and the small part of
the mongo shell that operators use to manage it (createUser, grant/revoke roles, dropUser).

Init scripts from ConfigMaps and `mongo --eval` in a Job both go through `run_shell_script`, so
the fix for a revoked role is the same command an SRE would run against a real MongoDB.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

Role = tuple[str, str]  # (role, db)
_ADMIN_ROLES = {"root", "userAdminAnyDatabase", "userAdmin", "dbOwner"}
_READ_ANY = {"root", "readWriteAnyDatabase", "readAnyDatabase"}


@dataclass
class AuthAttempt:
    at: datetime
    client: str
    user: str
    outcome: str  # "ok", "user_not_found", "unauthorized", "tls_required"
    detail: str = ""


@dataclass
class MongoData:
    """The contents of one mongod data directory that matter to the emulation."""

    initialized: bool = False
    users: dict[str, set[Role]] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    attempts: list[AuthAttempt] = field(default_factory=list)
    # Open client pools per mongod process ("<pod uid>/<restart>"): client pod -> connections.
    pools: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)

    def authenticate(self, user: str, password: str) -> bool:
        return user in self.users and self.passwords.get(user) == password

    def can_read(self, user: str, db: str) -> bool:
        roles = self.users.get(user, set())
        return any(
            r in _READ_ANY or (d == db and r in ("read", "readWrite", "dbOwner")) for r, d in roles
        )

    def can_manage_users(self, user: str) -> bool:
        return any(r in _ADMIN_ROLES for r, _ in self.users.get(user, set()))


class ShellError(Exception):
    """What the mongo shell prints when a command fails (it then exits 1)."""


_CALL = re.compile(
    r"db\.(createUser|grantRolesToUser|revokeRolesFromUser|dropUser)\s*\(", re.IGNORECASE
)


def _js_to_json(text: str) -> str:
    """Turn the JS object literals shell scripts use into JSON (quotes keys, single quotes)."""
    text = re.sub(r"'([^']*)'", lambda m: json.dumps(m.group(1)), text)
    return re.sub(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:", r'\1"\2":', text)


def _arguments(script: str, start: int) -> tuple[str, int]:
    depth, i = 1, start
    while i < len(script) and depth:
        depth += {"(": 1, ")": -1}.get(script[i], 0)
        i += 1
    return script[start : i - 1], i


def _roles(value: object) -> set[Role]:
    roles: set[Role] = set()
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            roles.add((item, "admin"))
        elif isinstance(item, dict) and "role" in item:
            roles.add((str(item["role"]), str(item.get("db", "admin"))))
    return roles


def run_shell_script(data: MongoData, script: str, *, as_user: str | None) -> list[str]:
    """Apply the user-management calls in `script`; return what the shell prints.

    `as_user` is the authenticated user (None during init, which runs without auth).
    """
    output = []
    for match in _CALL.finditer(script):
        if as_user is not None and not data.can_manage_users(as_user):
            raise ShellError(
                f"uncaught exception: Error: not authorized on admin to execute "
                f"command {{ {match.group(1)}: ... }}"
            )
        raw, _ = _arguments(script, match.end())
        try:
            args = json.loads(f"[{_js_to_json(raw)}]")
        except ValueError as exc:
            raise ShellError(f"SyntaxError: {exc}") from exc
        call = match.group(1)
        if call == "createUser":
            spec = args[0] if args and isinstance(args[0], dict) else {}
            user = str(spec.get("user", ""))
            if user in data.users:
                raise ShellError(
                    f"uncaught exception: Error: couldn't add user: User "
                    f'"{user}@admin" already exists'
                )
            data.users[user] = _roles(spec.get("roles"))
            data.passwords[user] = str(spec.get("pwd", ""))
            output.append(f'Successfully added user: {{ "user" : "{user}", "roles" : [ ... ] }}')
        else:
            user = str(args[0]) if args else ""
            if user not in data.users:
                raise ShellError(
                    f'uncaught exception: Error: Could not find user "{user}" for db "admin"'
                )
            if call == "grantRolesToUser":
                data.users[user] |= _roles(args[1] if len(args) > 1 else [])
            elif call == "revokeRolesFromUser":
                data.users[user] -= _roles(args[1] if len(args) > 1 else [])
            else:
                del data.users[user]
                data.passwords.pop(user, None)
                output.append("true")
    return output
