"""The exec subresource over WebSocket, as kubectl 1.30+ speaks it (the
`v5.channel.k8s.io` / `v4.channel.k8s.io` subprotocols): every binary message starts with
its channel (1 stdout, 2 stderr, 3 the final Status). The emulated commands run to their end
without input, so stdin and a TTY are refused before the upgrade, with the error kubectl
shows. SPDY, the older transport, is not spoken: kubectl falls back to it only when the
WebSocket upgrade itself fails."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from sim.kube import errors
from sim.kube.api import ExecResult, ResourceApi
from sim.kube.identity import Identity
from sim.kube.targets import Target

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDOUT, STDERR, ERROR = 1, 2, 3
PROCESS_START_S = 0.25


def exit_status(result: ExecResult, command: list[str]) -> dict[str, object]:
    """The Status the API server ends an exec stream with (kubectl turns a non-zero exit
    code in it into its own exit code)."""
    if result.exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": (
            f"command terminated with non-zero exit code: error executing command "
            f"[{' '.join(command)}], exit code {result.exit_code}"
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(result.exit_code)}]},
    }


async def serve(
    request: web.Request, api: ResourceApi, target: Target, identity: Identity
) -> web.StreamResponse:
    """Authorize, run the command, and stream what it printed and its exit status."""
    if not identity.can_write:
        # Exec is `create` on pods/exec: the read-only identity never has it.
        raise errors.forbidden(
            identity.user, "create", target.rt, target.namespace, target.name, "exec"
        )
    query = request.query
    if query.get("stdin") in ("true", "1") or query.get("tty") in ("true", "1"):
        raise errors.bad_request(
            "interactive exec (stdin or a TTY) is not supported by the emulated API server"
        )
    command = query.getall("command", [])
    where = (target.namespace or "", target.name or "", query.get("container"))
    # What a real server refuses before any stream (no pod, container not running) comes
    # first, over either transport, so kubectl's SPDY fallback shows the same error.
    api.exec(*where, command, check_only=True)
    ws = web.WebSocketResponse(protocols=PROTOCOLS)
    if not ws.can_prepare(request).ok:
        raise errors.bad_request(
            "exec needs a WebSocket upgrade (v5.channel.k8s.io); SPDY is not emulated"
        )
    result = api.exec(*where, command)
    assert result is not None
    await ws.prepare(request)
    # kubectl creates its stream readers only after the upgrade and drops messages that come
    # first; a real exec's process start (runc) gives it that time, so the emulation does too.
    await asyncio.sleep(PROCESS_START_S)
    if result.stdout and query.get("stdout", "true") in ("true", "1"):
        await ws.send_bytes(bytes([STDOUT]) + result.stdout.encode())
    if result.stderr and query.get("stderr", "true") in ("true", "1"):
        await ws.send_bytes(bytes([STDERR]) + result.stderr.encode())
    await ws.send_bytes(bytes([ERROR]) + json.dumps(exit_status(result, command)).encode())
    await ws.close()
    return ws
