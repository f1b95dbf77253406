"""Deciding, per role, whether a command may run: deny by default, from argv alone.

- observer: executes nothing.
- probe: reads only (get, describe, logs without follow, top, events, explain,
  api-resources, api-versions, version, cluster-info, auth can-i, rollout status|history).
- executor: the same reads; allowlisted writes need a person's approval; a server or client
  dry run of an allowed write needs none; every other write is denied. The one exec is
  running an operator's declared runbook script, as `bash FILE`, nothing else.
- for everyone: no shell, no other program, no identity or config escape, no Secret reads,
  no streaming, no interactive or tunnelling commands.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from policies.command import KubectlCommand, ParseError, Resource, parse_kubectl
from policies.grammar import (
    ALWAYS_DENIED,
    CHAOS_NAMES,
    IDENTITY_FLAGS,
    POD_NAMES,
    PROTECTED_KINDS,
    ROLLABLE,
    SCALABLE,
    SECRET_NAMES,
)
from policies.policy import Policy, default_policy

Role = Literal["observer", "probe", "executor"]
ROLES: tuple[Role, ...] = ("observer", "probe", "executor")
SHELL = (";", "|", "&", "`", "$(", "${", ">", "<", "\n", "\r")
READS = {"get", "describe", "logs", "top", "events", "explain", "api-resources"}
READS |= {"api-versions", "version", "cluster-info", "auth", "rollout"}
WRITES = {"patch", "scale", "rollout", "delete", "set", "label", "annotate"}
WRITES |= {"cordon", "uncordon", "drain", "apply", "exec"}
NODE_WRITES = {"cordon", "uncordon", "drain"}


@dataclass(frozen=True)
class Decision:
    command: tuple[str, ...]
    role: str
    decision: Literal["allow", "needs_approval", "deny"]
    klass: Literal["read", "write", "dry_run", "forbidden"]
    reason: str
    namespace: str | None = None
    action_class: str | None = None  # for writes: who may approve it (policy.approvals)
    resources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    def as_json(self) -> dict[str, object]:
        return {
            "command": list(self.command),
            "role": self.role,
            "decision": self.decision,
            "class": self.klass,
            "reason": self.reason,
            "namespace": self.namespace,
            "action_class": self.action_class,
        }


class Denied(Exception):
    """Raised inside the classifier with the reason a command is refused."""


def classify_command(
    argv: list[str] | tuple[str, ...],
    role: Role,
    policy: Policy | None = None,
    channel: str | None = None,
) -> Decision:
    """The decision for `argv` run by `role`, under `policy` (default: the bundled one)."""
    policy = policy or default_policy()
    argv = tuple(argv)

    def deny(reason: str) -> Decision:
        return Decision(argv, role, "deny", "forbidden", reason)

    if role not in ROLES:
        return deny(f"unknown role {role!r}")
    if role == "observer":
        return deny("the Observer executes nothing; it asks the Probe or the Executor")
    if not argv:
        return deny("empty command")
    for token in argv:
        if any(op in token for op in SHELL):
            return deny(f"shell operator or substitution in {token!r}: commands run as argv")
        flag = _identity_spelling(token)
        if flag is not None:
            # Wherever it stands (even where kubectl would read it as another flag's value).
            return deny(f"--{flag} changes kubectl's identity or cluster")
    if os.path.basename(argv[0]) != "kubectl":
        return deny(f"unknown program {argv[0]!r}: only kubectl runs")
    try:
        command = parse_kubectl(list(argv))
        klass, namespace, action = _check(command, role, policy, channel)
    except (ParseError, Denied) as exc:
        return deny(str(exc))
    kinds = tuple(f"{r.kind}/{r.name}" if r.name else r.kind for r in command.resources())
    if klass == "read":
        return Decision(argv, role, "allow", "read", "read-only", namespace, None, kinds)
    if klass == "dry_run":
        reason = "dry run of an allowed write"
        return Decision(argv, role, "allow", "dry_run", reason, namespace, action, kinds)
    reason = f"write ({action}): runs only after an approval"
    return Decision(argv, role, "needs_approval", "write", reason, namespace, action, kinds)


def _check(
    command: KubectlCommand, role: Role, policy: Policy, channel: str | None
) -> tuple[str, str | None, str | None]:
    """(class, namespace, action class) of an acceptable command; Denied otherwise."""
    for name in command.flags:
        if name in IDENTITY_FLAGS:
            raise Denied(f"--{name} changes kubectl's identity or cluster")
    context = command.flag("context")
    if command.has("context") and context not in policy.contexts:
        raise Denied(f"--context {context} is not one the policy allows")
    verb = command.verb
    if verb in ALWAYS_DENIED:
        raise Denied(f"kubectl {verb} {ALWAYS_DENIED[verb]}")
    if verb not in READS | WRITES:
        raise Denied(f"unknown command kubectl {verb}")
    for name in ("watch", "watch-only", "follow"):
        if command.enabled(name):
            raise Denied(f"--{name} streams without end")
    if command.has("raw"):
        raise Denied("--raw reaches the API server directly")
    if verb != "explain" and not (verb == "auth" and command.subverb == "can-i"):
        # Every argument, in every spelling, wherever kubectl's grammar would put it.
        for arg in command.args:
            for part in arg.replace("/", ",").split(","):
                if part.strip().lower().split(".")[0] in SECRET_NAMES:
                    raise Denied("Secrets are never read or changed by an agent")
    if verb == "exec" and role != "executor":
        raise Denied(f"the {role.capitalize()} only reads; kubectl exec runs a process")
    if _is_read(command):
        return "read", command.namespace, None
    if role != "executor":
        raise Denied(f"the {role.capitalize()} only reads; {_describe(command)} is a write")
    action = _write_rules(command, policy)
    namespace = _write_namespace(command, policy, channel)
    dry_run = command.flag("dry-run")
    if command.has("dry-run") and (dry_run is None or dry_run in ("server", "client")):
        return "dry_run", namespace, action
    return "write", namespace, action


def _identity_spelling(token: str) -> str | None:
    """The identity flag a token spells (`--as=x`, `--token`, `-s`, `-s=x`), if any."""
    if token.startswith("--"):
        name = token[2:].split("=", 1)[0]
        return name if name in IDENTITY_FLAGS else None
    if token == "-s" or token.startswith("-s="):
        return "server"
    return None


def _describe(command: KubectlCommand) -> str:
    return f"kubectl {command.verb}{' ' + command.subverb if command.subverb else ''}"


def _is_read(command: KubectlCommand) -> bool:
    verb, sub = command.verb, command.subverb
    if verb == "rollout":
        return sub in ("status", "history")
    if verb == "auth":
        if sub != "can-i":
            raise Denied(f"kubectl auth {sub or ''} is not a read the policy allows".strip())
        return True
    if verb == "cluster-info":
        if sub == "dump":
            raise Denied("cluster-info dump copies the whole cluster, logs included")
        return True
    if verb in ("get", "describe") and (command.has("filename") or command.has("kustomize")):
        raise Denied(f"kubectl {verb} -f reads objects named in a file we cannot see")
    if verb in ("get", "describe") and not command.resources():
        raise Denied(f"kubectl {verb} needs a resource type")
    if verb == "set" and command.enabled("list") and not command.has("from"):
        return True
    return verb in READS and verb not in ("rollout", "auth")


def _write_rules(command: KubectlCommand, policy: Policy) -> str:
    """The action class of an allowlisted write; Denied for anything else."""
    verb, sub = command.verb, command.subverb
    switches = [n for n in ("all", "all-namespaces", "local") if command.enabled(n)]
    selectors = [n for n in ("selector", "field-selector") if command.has(n)]
    for name in switches + selectors:
        raise Denied(f"--{name}: a write must name the objects it changes")
    if verb != "apply" and (command.has("filename") or command.has("kustomize")):
        raise Denied(f"kubectl {verb} -f changes objects named in a file we cannot see")
    resources = command.resources()
    if verb != "apply" and (not resources or any(r.name is None for r in resources)):
        raise Denied(f"kubectl {verb} must name the objects it changes")
    if _reclaims_volumes(command, resources):
        if not policy.executor.allow_volume_reclaim:
            raise Denied("volume reclaim is off in this policy (executor.allow_volume_reclaim)")
        return "reclaim_volume"
    for resource in resources:
        for kind, names in PROTECTED_KINDS.items():
            if resource.kind in names and not (kind == "node" and verb in NODE_WRITES):
                raise Denied(f"{kind} objects are protected from agents' writes")
    if verb in NODE_WRITES:
        if any(r.kind not in PROTECTED_KINDS["node"] for r in resources):
            raise Denied(f"kubectl {verb} works on nodes")
        if verb == "drain" and not policy.executor.allow_drain:
            raise Denied("drain is off in this policy (executor.allow_drain)")
        return verb if verb != "uncordon" else "cordon"
    if verb == "patch":
        for name in ("patch-file", "subresource"):
            if command.has(name):
                raise Denied(f"patch --{name} is not allowed")
        if command.flag("type") not in ("", "strategic", "merge", "json"):
            raise Denied(f"patch --type {command.flag('type')} is unknown")
        if not command.flag("patch"):
            raise Denied("patch needs -p with the change")
        return "patch"
    if verb == "scale":
        return _scale(command, resources, policy)
    if verb == "rollout":
        if sub not in ("restart", "undo", "pause", "resume"):
            raise Denied(f"kubectl rollout {sub or ''} is not allowed".strip())
        if command.has("dry-run") and sub != "undo":
            raise Denied(f"kubectl rollout {sub} has no --dry-run (only undo has)")
        _kinds(resources, ROLLABLE, f"rollout {sub}")
        return "rollout"
    if verb == "delete":
        return _delete(command, resources, policy)
    if verb == "set":
        if sub not in ("image", "env", "resources"):
            raise Denied(f"kubectl set {sub or ''} is not allowed".strip())
        source = command.flag("from") or ""
        if source.split("/")[0].lower() in SECRET_NAMES:
            raise Denied("set env --from a Secret copies its values")
        return "set"
    if verb in ("label", "annotate"):
        return verb
    if verb == "exec":
        return _runbook(command, resources, policy)
    if verb == "apply":
        return _apply(command, policy)
    raise Denied(f"kubectl {verb} is not an allowed write")


def _reclaims_volumes(command: KubectlCommand, resources: list[Resource]) -> bool:
    """The one write on PersistentVolumes an agent may propose: a JSON patch that only
    removes `/spec/claimRef`, so a Released (Retain) volume can bind again to the claim that
    replaces its deleted one, data intact. The Executor also checks, before it runs, that
    the volume is Released and its old claim lived in the namespace the command names."""
    if command.verb != "patch" or len(resources) != 1:
        return False  # one volume per approval, the one the Executor checks
    if resources[0].kind not in PROTECTED_KINDS["persistentvolume"]:
        return False
    if command.flag("type") != "json":
        return False
    try:
        ops = json.loads(command.flag("patch") or "")
    except ValueError:
        return False
    return bool(ops == [{"op": "remove", "path": "/spec/claimRef"}])


def _kinds(resources: list[Resource], allowed: set[str], what: str) -> None:
    for resource in resources:
        if resource.kind not in allowed:
            raise Denied(f"{what} does not apply to {resource.kind}")


def _scale(command: KubectlCommand, resources: list[Resource], policy: Policy) -> str:
    _kinds(resources, SCALABLE, "scale")
    limits = policy.limits
    try:
        replicas = int(command.flag("replicas") or "")
    except ValueError:
        raise Denied("scale needs --replicas=N") from None
    if replicas > limits.max_replicas:
        raise Denied(f"--replicas {replicas} is above the policy's {limits.max_replicas}")
    if replicas == 0 and not limits.allow_scale_to_zero:
        raise Denied("scaling to zero is off in this policy (limits.allow_scale_to_zero)")
    if limits.max_replica_change is not None:
        try:
            current = int(command.flag("current-replicas") or "")
        except ValueError:
            raise Denied("scale needs --current-replicas so the change is bounded") from None
        if abs(replicas - current) > limits.max_replica_change:
            raise Denied(
                f"a change of {abs(replicas - current)} replicas is above the policy's "
                f"{limits.max_replica_change}"
            )
    return "scale"


def _delete(command: KubectlCommand, resources: list[Resource], policy: Policy) -> str:
    if command.enabled("force") or command.flag("grace-period") in ("0", "-1"):
        raise Denied("forced deletion skips graceful shutdown")
    if all(r.kind in CHAOS_NAMES for r in resources):
        # Ending a Chaos Mesh experiment stops the fault it injects and changes nothing else.
        if not policy.executor.allow_end_chaos:
            raise Denied(
                "ending chaos experiments is off in this policy (executor.allow_end_chaos)"
            )
        return "end_chaos"
    _kinds(resources, POD_NAMES, "delete (only pods and chaos experiments may be deleted)")
    if len(resources) > policy.limits.max_pods_deleted:
        raise Denied(
            f"{len(resources)} pods in one delete is above the policy's "
            f"{policy.limits.max_pods_deleted}"
        )
    return "delete_pods"


RUNBOOK_SHELLS = ("bash", "sh", "/bin/bash", "/bin/sh")
RUNBOOK_PATH = re.compile(r"^/(?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*$")


def _runbook(command: KubectlCommand, resources: list[Resource], policy: Policy) -> str:
    """`kubectl exec POD -n NS [-c C] -- bash /path/script.sh`, and only that: one named
    pod, no input, no TTY, a shell running one script file by its absolute path. Which
    files are runbooks is the policy's (executor.runbooks); that the file is one of them,
    mounted unchanged, the Executor checks against the cluster right before it runs."""
    for name in ("stdin", "tty", "filename"):
        if command.enabled(name) or (name == "filename" and command.has(name)):
            raise Denied(f"exec --{name} is not allowed: a runbook runs unattended")
    if not policy.executor.runbooks_in(command.namespace):
        raise Denied(
            f"no runbooks are declared for namespace {command.namespace} (executor.runbooks)"
        )
    if command.remote is None:
        raise Denied("exec needs -- before the command it runs")
    script = list(command.remote)
    if len(resources) != 1 or resources[0].kind not in POD_NAMES:
        raise Denied("exec runs in exactly one named pod")
    if len(script) != 2 or script[0] not in RUNBOOK_SHELLS:
        raise Denied("exec only runs a runbook script: -- bash /path/to/script.sh")
    path = script[1]
    if not RUNBOOK_PATH.match(path) or any(part in (".", "..") for part in path.split("/")):
        raise Denied(f"{path!r} is not a plain absolute path to a script")
    return "run_runbook"


def _apply(command: KubectlCommand, policy: Policy) -> str:
    for name in ("kustomize", "recursive", "prune", "force", "force-conflicts", "selector"):
        if command.has(name):
            raise Denied(f"apply --{name} is not allowed")
    files = [f or "" for f in command.flags.get("filename", [])]
    if not files:
        raise Denied("apply needs -f with a manifest the Executor wrote")
    root = Path(os.path.expanduser(policy.executor.manifest_dir)).resolve()
    for name in files:
        if name == "-" or "://" in name:
            raise Denied("apply only of a file the Executor wrote, not stdin or a URL")
        if not Path(os.path.expanduser(name)).resolve().is_relative_to(root):
            raise Denied(f"apply only of manifests under {policy.executor.manifest_dir}")
    return "apply"


def _write_namespace(command: KubectlCommand, policy: Policy, channel: str | None) -> str | None:
    if command.verb in NODE_WRITES:
        return None  # nodes are cluster-scoped
    namespace = command.namespace
    if namespace is None:
        raise Denied("a write must name its namespace (-n)")
    if namespace in policy.protected_namespaces:
        raise Denied(f"namespace {namespace} is protected")
    allowed = policy.namespaces_for(channel)
    if namespace not in allowed:
        where = f"channel {channel}" if channel else "this policy"
        raise Denied(f"{where} may not change namespace {namespace}")
    return namespace
