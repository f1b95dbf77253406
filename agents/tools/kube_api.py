"""The reads the investigation's first look makes itself (the surface's lists, each pod's
logs), made through the Kubernetes API client instead of a kubectl process each.

Each read is the kubectl command it stands for: the policy decides on that argv for the
role, the trajectory records it (a person can type it again and see the same), and the
output is what kubectl prints (logs as they come; a get as one JSON `List` whose items carry
their kind and apiVersion), redacted and capped the same way. Only the transport differs: a
request on a kept connection costs a few milliseconds of CPU where a kubectl process costs
~80 ms before it sends anything, and kubectl's client-side rate limit (a burst of 10
requests, then 5 a second) no longer makes a namespace's logs wait (bench/README.md).
Commands an agent writes itself still run through kubectl (`tools.kubectl`), and so do these
reads where the client cannot use the kubeconfig (an auth plugin it does not know, say):
kubectl is the reference, the client only a faster way to the same answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from agents.tools.kubectl import Kubectl
from agents.tools.record import ToolCall, finish
from policies.policy import RedactionRules
from policies.redaction import redact

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

Obj = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    group_version: str  # "v1" for the core group
    plural: str
    namespaced: bool = True


# The kinds the first look lists, by the names its kubectl commands use. Stable versions only
# (autoscaling/v2 is served since Kubernetes 1.23); Chaos Mesh serves v1alpha1 alone.
RESOURCES = {
    "pods": Resource("v1", "pods"),
    "deployments": Resource("apps/v1", "deployments"),
    "replicasets": Resource("apps/v1", "replicasets"),
    "services": Resource("v1", "services"),
    "endpoints": Resource("v1", "endpoints"),
    "events": Resource("v1", "events"),
    "pvc": Resource("v1", "persistentvolumeclaims"),
    "pv": Resource("v1", "persistentvolumes", namespaced=False),
    "configmaps": Resource("v1", "configmaps"),
    "hpa": Resource("autoscaling/v2", "horizontalpodautoscalers"),
    "podchaos": Resource("chaos-mesh.org/v1alpha1", "podchaos"),
    "networkchaos": Resource("chaos-mesh.org/v1alpha1", "networkchaos"),
    "dnschaos": Resource("chaos-mesh.org/v1alpha1", "dnschaos"),
}


class ReadFailed(Exception):
    """A read that kubectl would have failed, with the message kubectl would print and its
    exit code; `status` is the API server's HTTP status, where it answered."""

    def __init__(self, message: str, code: int = 1, status: int | None = None) -> None:
        super().__init__(message.removesuffix("\n") + "\n")  # a line, as kubectl prints it
        self.code = code
        self.status = status


def containers(pod: Obj) -> list[str]:
    """Container names in the order `kubectl logs --all-containers` reads them."""
    spec = pod.get("spec") or {}
    return [
        str(c.get("name"))
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(key) or []
    ]


class KubeApi:
    """The reads `kubectl` would make, through one API client kept for the investigation:
    the same identity (the kubeconfig's context for its role), policy, timeout and cap."""

    def __init__(self, kubectl: Kubectl) -> None:
        self.kubectl = kubectl
        self._client: ApiClient | None = None
        self._connecting = threading.Lock()  # the depth step reads from several threads
        self._unusable = False  # the client cannot use the kubeconfig: kubectl reads instead

    def get(self, kinds: list[str], namespace: str) -> ToolCall:
        """`kubectl get KINDS -o json -n NAMESPACE`: one List of every kind's items, in the
        order asked. Fails whole if a kind cannot be listed (unknown to the cluster, or
        forbidden), with kubectl's message for it. Kinds are RESOURCES' names."""
        argv = ["kubectl", "get", ",".join(kinds), "-o", "json", "-n", namespace]

        def read() -> tuple[str, int, int]:
            items: list[Obj] = []
            for kind in kinds:
                resource = RESOURCES.get(kind)
                if resource is None:  # ours to add, not the cluster's fault: say so
                    raise ReadFailed(f'error: no API path is known here for "{kind}"')
                items += self._list(kind, resource, namespace)
            listed = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {}}
            text = orjson.dumps(listed, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
            cleaned = redact(text.decode() + "\n", self._rules)
            return cleaned.text, 0, cleaned.total

        return self._call(argv, read)

    def logs(self, pod: Obj, namespace: str, *, tail: int = 60) -> ToolCall:
        """`kubectl logs POD --all-containers --tail=N`: each container's lines in turn,
        stopping at the first that cannot be read, as kubectl does."""
        name = str(pod["metadata"]["name"])
        argv = ["kubectl", "logs", name, "--all-containers", f"--tail={tail}", "-n", namespace]
        names = containers(pod)
        return self._call(argv, lambda: self._container_logs(name, names, namespace, tail))

    def previous_logs(
        self, pod: str, container: str, namespace: str, *, tail: int = 60
    ) -> ToolCall:
        """`kubectl logs POD -c CONTAINER --previous --tail=N`: the last run's lines."""
        argv = ["kubectl", "logs", pod, "-c", container, "--previous", f"--tail={tail}"]
        argv += ["-n", namespace]
        return self._call(
            argv, lambda: self._container_logs(pod, [container], namespace, tail, previous=True)
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def _rules(self) -> RedactionRules | None:
        policy = self.kubectl.policy
        return policy.redaction if policy else None

    def _call(self, argv: list[str], read: Callable[[], tuple[str, int, int]]) -> ToolCall:
        """The policy's decision on `argv`, and if it allows, what `read` returns: (text,
        exit code, secrets masked), or the failure kubectl would print."""
        call, decision = self.kubectl.decide(argv)
        call.transport = "api"
        if decision != "allow":
            return call
        started = time.monotonic()
        try:
            text, code, call.redacted = read()
        except ReadFailed as failed:
            text, code = str(failed), failed.code
        except _Unconfigured:  # before any request was sent
            return self.kubectl.run(argv)
        return finish(call, text, code, started, self.kubectl.limit)

    def _container_logs(
        self, pod: str, names: list[str], namespace: str, tail: int, previous: bool = False
    ) -> tuple[str, int, int]:
        # Each container's text is redacted on its own, as reading that container alone
        # would have it: a secret spanning lines is found whole, no neighbour's line joins it.
        out: list[str] = []
        masked = 0
        for container in names:
            query = [("container", container), ("tailLines", str(tail))]
            if previous:
                query.append(("previous", "true"))
            try:
                text = self._request(f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query)
            except ReadFailed as failed:
                message = str(failed)
                if failed.status == 404:  # the pod has gone; kubectl looks it up first
                    message = (
                        f'error: error from server (NotFound): pods "{pod}" not found in '
                        f'namespace "{namespace}"\n'
                    )
                out.append(message)
                return "".join(out), failed.code, masked
            cleaned = redact(text.decode(errors="replace"), self._rules)
            out.append(cleaned.text)
            masked += cleaned.total
        return "".join(out), 0, masked

    def _list(self, kind: str, resource: Resource, namespace: str) -> list[Obj]:
        path = "/api" if resource.group_version == "v1" else "/apis"
        path += f"/{resource.group_version}"
        path += f"/namespaces/{namespace}" if resource.namespaced else ""
        path += f"/{resource.plural}"
        try:
            body = orjson.loads(self._request(path, []))
        except ReadFailed as failed:
            if failed.status == 404:  # the group or kind is not served here
                raise ReadFailed(
                    f'error: the server doesn\'t have a resource type "{kind}"'
                ) from None
            raise
        except orjson.JSONDecodeError as exc:
            raise ReadFailed(f"error: the server's answer to {path} is not JSON: {exc}") from exc
        api_version = str(body.get("apiVersion") or resource.group_version)
        item_kind = str(body.get("kind") or "").removesuffix("List")
        items = list(body.get("items") or [])
        for item in items:  # the API leaves them out of a list's items; kubectl adds them
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", item_kind)
        return items

    def _request(self, path: str, query: list[tuple[str, str]]) -> bytes:
        """The body of a GET that answered 200; anything else as kubectl would report it."""
        from kubernetes.client.exceptions import OpenApiException
        from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, TimeoutError

        client = self._connect()
        try:
            method, url, headers, body, post = client.param_serialize(
                "GET", path, query_params=query, auth_settings=["BearerToken"]
            )
            response = client.call_api(method, url, headers, body, post, self.kubectl.timeout)
            data = response.read()
        except (HTTPError, OSError, OpenApiException) as exc:
            cause = exc.reason if isinstance(exc, MaxRetryError) else exc
            # A refused connection is a TimeoutError to urllib3 too (for old callers' sake).
            if isinstance(cause, TimeoutError) and not isinstance(cause, NewConnectionError):
                message = f"error: no answer from the API server in {self.kubectl.timeout:g} s"
                raise ReadFailed(message, 124) from exc
            raise ReadFailed(f"error: cannot reach the API server: {cause}") from exc
        if response.status == 200:
            return bytes(data)
        raise ReadFailed(_server_error(response.status, data), status=response.status)

    def _connect(self) -> ApiClient:
        with self._connecting:
            if self._unusable:
                raise _Unconfigured
            if self._client is None:
                self._client = self._configure()
            return self._client

    def _configure(self) -> ApiClient:
        # Importing the client's API classes costs seconds (hundreds of models); the loader
        # and the raw ApiClient are all these reads need.
        from kubernetes.client import ApiClient, Configuration
        from kubernetes.config import load_kube_config
        from kubernetes.config.config_exception import ConfigException

        settings = Configuration()
        # One retry, for a kept connection the server has closed meanwhile; urllib3's default
        # three would make an unreachable cluster's every read wait four times.
        settings.retries = 1
        target = self.kubectl.target
        try:
            load_kube_config(
                config_file=str(target.kubeconfig),
                context=target.context_for(self.kubectl.role),
                client_configuration=settings,
                persist_config=False,  # never write refreshed tokens into their file
            )
        except (ConfigException, OSError, ValueError) as exc:
            self._unusable = True
            raise _Unconfigured from exc
        return ApiClient(configuration=settings)


class _Unconfigured(Exception):
    """The client cannot use the kubeconfig: `kubectl` reads instead."""


def _server_error(status: int, data: bytes) -> str:
    """`Error from server (Reason): message`, kubectl's words for an API error."""
    try:
        body = orjson.loads(data)
        reason, message = str(body.get("reason") or status), str(body.get("message") or "")
    except (orjson.JSONDecodeError, AttributeError):
        reason, message = str(status), data.decode(errors="replace").strip()
    return f"Error from server ({reason}): {message}\n"
