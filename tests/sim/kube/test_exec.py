"""`kubectl exec` over the WebSocket protocol kubectl 1.30+ speaks: only the writer may exec,
the command runs with the image's software inside the pod's network, and its output and
exit code come back as kubectl shows them."""

from __future__ import annotations

from typing import Any

NS = "test-hotel-reservation"
GRANT = "/scripts/revoke-mitigate-admin-geo-mongo.sh"


def _mongo_pod(kubectl: Any) -> str:
    pods = kubectl.json("get", "pods", "-l", "io.kompose.service=mongodb-geo")["items"]
    return str(pods[0]["metadata"]["name"])


def test_the_read_only_identity_may_not_exec(scenario_cluster: Any) -> None:
    _running, kubectl = scenario_cluster("revoke_auth_mongodb-1")
    refused = kubectl.run("exec", _mongo_pod(kubectl), "--", "bash", GRANT, check=False)
    assert refused.returncode == 1
    assert 'cannot create resource "pods/exec"' in refused.stderr
    assert "system:serviceaccount:aoi:aoi-probe" in refused.stderr


def test_a_runbook_run_by_exec_repairs_the_database(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("revoke_auth_mongodb-1")
    assert not running.score("mitigation", None).verified  # the role is gone
    done = kubectl.run("exec", _mongo_pod(kubectl), "--", "bash", GRANT, writer=True)
    # The script's echo lines and the shell's banner, against the pod's own mongod.
    assert done.stdout.splitlines()[0] == "Restoring admin user privileges..."
    assert "connecting to: mongodb://localhost:27017/admin" in done.stdout
    assert done.stdout.rstrip().endswith("Privilege restored successfully")
    kubectl.run("rollout", "restart", "deployment/geo", writer=True)
    running.cluster.advance(120)
    assert running.score("mitigation", None).success


def test_exit_codes_and_errors_come_back_as_kubectl_shows_them(scenario_cluster: Any) -> None:
    _running, kubectl = scenario_cluster("revoke_auth_mongodb-1")
    pod = _mongo_pod(kubectl)
    missing = kubectl.run("exec", pod, "--", "bash", "/scripts/none.sh", writer=True, check=False)
    assert missing.returncode == 127
    assert "bash: /scripts/none.sh: No such file or directory" in missing.stdout
    assert "command terminated with exit code 127" in missing.stderr
    unknown = kubectl.run("exec", pod, "--", "vim", writer=True, check=False)
    assert unknown.returncode == 126 and "executable file not found" in unknown.stderr
    wrong = kubectl.run("exec", pod, "-c", "nope", "--", "bash", GRANT, writer=True, check=False)
    assert wrong.returncode == 1 and "container nope is not valid" in wrong.stderr
    interactive = kubectl.run("exec", "-i", pod, "--", "bash", writer=True, check=False, stdin="")
    assert interactive.returncode == 1 and "interactive exec" in interactive.stderr
    gone = kubectl.run("exec", "no-such-pod", "--", "bash", GRANT, writer=True, check=False)
    assert gone.returncode == 1 and 'pods "no-such-pod" not found' in gone.stderr


def test_a_failing_mongo_call_fails_the_script(scenario_cluster: Any) -> None:
    _running, kubectl = scenario_cluster("user_unregistered_mongodb-1")
    pod = _mongo_pod(kubectl)
    # admin is gone: the role-only runbook authenticates as admin and must fail.
    failed = kubectl.run("exec", pod, "--", "bash", GRANT, writer=True, check=False)
    assert failed.returncode == 1
    assert "Error: Authentication failed." in failed.stdout
    repair = "/scripts/remove-mitigate-admin-geo-mongo.sh"
    assert kubectl.run("exec", pod, "--", "bash", repair, writer=True).returncode == 0
    again = kubectl.run("exec", pod, "--", "bash", GRANT, writer=True, check=False)
    assert again.returncode == 0, again.stdout
