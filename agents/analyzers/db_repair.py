"""Repairs of a database's users through the operators' runbooks: when a service is refused
by its MongoDB (a role taken away, a user gone), the fix needs the database's admin
credentials, which AOI never holds. The runbooks the policy declares for the namespace, as
the database's pod mounts them, are read for what they do (which user commands they run),
and the one that gives back exactly what is missing is proposed, then a restart of the
refused service so it reconnects now rather than at the end of its crash-loop back-off."""

from __future__ import annotations

import re
from typing import Literal

from agents import runbooks
from agents.analyzers.observations import Observations
from agents.models import ProposedAction

USER_COMMANDS = re.compile(r"\b(createUser|dropUser|grantRolesToUser|revokeRolesFromUser)\b")
Missing = Literal["role", "user"]


def user_repair(
    obs: Observations, database: str, client: str, missing: Missing, db_name: str | None
) -> list[ProposedAction]:
    """The runbook that restores `missing` on `database`, and `client`'s restart; nothing
    when no declared runbook does exactly that."""
    configmaps = {
        cm["metadata"]["name"]: cm
        for cm in obs.items("configmaps")
        if cm["metadata"]["name"] in obs.runbooks
    }
    deployment = next(
        (d for d in obs.items("deployments") if d["metadata"]["name"] == database), None
    )
    if not configmaps or deployment is None:
        return []
    running = [
        p for p in obs.pods_of(deployment) if (p.get("status") or {}).get("phase") == "Running"
    ]
    for pod in running[:1]:
        for script in runbooks.mounted_scripts(pod, configmaps):
            text = (configmaps[script.configmap].get("data") or {}).get(script.key, "")
            if not _restores(text, missing, db_name):
                continue
            what = "the readWrite role" if missing == "role" else "the missing user"
            return [
                runbooks.propose(
                    obs.namespace,
                    pod,
                    script,
                    configmaps[script.configmap],
                    f"the operators' runbook {script.configmap}/{script.key} gives {what} "
                    f"back on {database}, with credentials only the runbook holds",
                ),
                obs.fix(
                    "rollout",
                    "restart",
                    f"deployment/{client}",
                    why=f"{client} reconnects now instead of after its crash-loop back-off",
                ),
            ]
    return []


def _restores(text: str, missing: Missing, db_name: str | None) -> bool:
    """Whether a script does exactly the repair: grants a role (and creates no user, for a
    lost role), or creates the user (for a lost user); never drops or revokes anything."""
    calls = set(USER_COMMANDS.findall(text))
    if calls & {"dropUser", "revokeRolesFromUser"}:
        return False
    if db_name is not None and db_name not in text:
        return False
    if missing == "role":
        return calls == {"grantRolesToUser"}
    return "createUser" in calls
