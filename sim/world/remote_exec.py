"""`kubectl exec` inside the world: a one-shot command run in a running container, with the
image's own software (a mongo:4.4 image has the `mongo` shell and bash). The command is
built by the image's program factory exactly as a container command would be, so an exec of
`bash /scripts/x.sh` and a Job running the same script behave alike, except that an exec
shares the pod's network: `localhost` is the pod itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.kube import errors
from sim.kube.api import ExecResult
from sim.kube.resources import resource_for_kind
from sim.world.software.base import RunContext

if TYPE_CHECKING:
    from sim.world.runtime import World

Obj = dict[str, Any]
PODS = resource_for_kind("Pod")


def run_exec(
    world: World,
    namespace: str,
    pod_name: str,
    container: str | None,
    command: list[str],
    *,
    check_only: bool = False,
) -> ExecResult | None:
    """What `command` prints and returns in the container now; ApiError as the API server
    answers for a missing pod, a wrong container name, or a container that is not running.
    With `check_only`, only those errors (None when there is none), and nothing runs."""
    pod = world.store.peek(PODS, namespace, pod_name)
    if pod is None:
        raise errors.not_found(PODS, pod_name)
    containers = pod["spec"].get("containers") or []
    if container is None:
        if not containers:
            raise errors.bad_request(f"pod {pod_name} has no containers")
        container = containers[0]["name"]  # kubectl defaults to the first, as here
    spec = next((c for c in containers if c["name"] == container), None)
    if spec is None:
        raise errors.bad_request(f"container {container} is not valid for pod {pod_name}")
    if not command:
        raise errors.bad_request("you must specify at least one command for the container")
    run = world.kubelet.container_run(pod, container)
    attempt = run.current if run else None
    if attempt is None or not attempt.running_at(world.now):
        raise errors.bad_request(
            f'unable to upgrade connection: container not found ("{container}")'
        )
    if check_only:
        return None
    program = world.catalog.one_shot(spec, command)
    if program is None:
        return ExecResult(
            126,
            "",
            "OCI runtime exec failed: exec failed: unable to start container process: exec: "
            f'"{command[0]}": executable file not found in $PATH: unknown\n',
        )
    ctx = RunContext(world, pod, spec, world.now, attempt, attempt.restart)
    fate = program.start(ctx)
    if fate.kind != "exit":
        # A server or a shell left open: nothing an unattended exec should start.
        return ExecResult(
            126, "", f"{' '.join(command)}: only commands that finish can be run by exec here"
        )
    out = "".join(line.text + "\n" for line in fate.startup)
    return ExecResult(fate.exit_code, out)
