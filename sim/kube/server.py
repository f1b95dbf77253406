"""The emulated kube-apiserver over HTTPS: authentication, authorization, discovery and
content negotiation (JSON or server-side Table) in front of ResourceApi."""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from sim.kube import discovery, errors, exec_stream, openapi, printers, watch
from sim.kube.api import ResourceApi
from sim.kube.errors import ApiError
from sim.kube.identity import Identities, Identity
from sim.kube.targets import Target, parse_resource_path
from sim.wire import json_response

Obj = dict[str, Any]
_NOT_FOUND = ApiError(404, "the server could not find the requested resource")


def _verb(method: str, target: Target, watch: bool) -> str:
    if method == "GET":
        if target.name:
            return "get"
        return "watch" if watch else "list"
    return {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if target.name else "deletecollection",
    }.get(method, "unknown")


def _wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _flag(value: str | None) -> bool:
    return value in ("true", "1")


class KubeApiServer:
    """Routes Kubernetes REST calls onto a ResourceApi."""

    def __init__(self, api: ResourceApi, identities: Identities) -> None:
        self.api = api
        self.identities = identities

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            exec_target = self._exec_target(request)
            if exec_target is not None:
                identity = self._authenticate(request)
                return await exec_stream.serve(request, self.api, exec_target, identity)
            target = self._watch_target(request)
            if target is not None:
                return await watch.stream(request, self.api, target, _wants_table(request))
            return self._dispatch(request, await request.read())
        except ApiError as exc:
            return json_response(exc.status(), status=exc.code)

    @staticmethod
    def _exec_target(request: web.Request) -> Target | None:
        if request.method not in ("GET", "POST") or not request.path.endswith("/exec"):
            return None
        target = parse_resource_path(request.path)
        return target if target is not None and target.subresource == "exec" else None

    def _watch_target(self, request: web.Request) -> Target | None:
        """The resource a GET ...?watch=true asks to stream, once it is authorized."""
        if request.method != "GET" or not _flag(request.query.get("watch")):
            return None
        identity = self._authenticate(request)
        target = parse_resource_path(request.path)
        if target is None or target.name or target.rt.virtual:
            raise _NOT_FOUND
        if not identity.allows("watch", target.rt):
            raise errors.forbidden(identity.user, "watch", target.rt, target.namespace, None)
        return target

    def _dispatch(self, request: web.Request, raw: bytes) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        if path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok")
        if path == "/version":
            return json_response(discovery.KUBE_VERSION)
        identity = self._authenticate(request)
        if request.method == "GET" and (doc := self._discovery(path)) is not None:
            return json_response(doc)
        if "protobuf" in request.content_type:
            raise ApiError(
                415,
                "the emulated API server speaks JSON only, and kubectl's typed "
                "generators (`kubectl create job|deployment ...`, `kubectl run`) "
                "send protobuf: write the object as YAML and use `kubectl create "
                "-f` or `kubectl apply -f`",
                reason="UnsupportedMediaType",
            )
        target = parse_resource_path(path)
        if target is None:
            raise _NOT_FOUND
        query = request.query
        verb = _verb(request.method, target, _flag(query.get("watch")))
        if not identity.allows(verb, target.rt):
            raise errors.forbidden(
                identity.user, verb, target.rt, target.namespace, target.name, target.subresource
            )
        body = self._decode(raw, request.content_type) if raw else None
        dry_run = query.get("dryRun") == "All" or (
            isinstance(body, dict) and "All" in (body.get("dryRun") or [])
        )
        if verb == "watch":
            raise ApiError(
                405, "watch is not supported by the emulated API server", reason="MethodNotAllowed"
            )
        if target.rt.virtual:
            return json_response(self.api.metrics(target))
        if verb == "list":
            items = self.api.list(target, query.get("labelSelector"), query.get("fieldSelector"))
            if _wants_table(request):
                return json_response(self._table(target, items, query))
            rt = target.rt
            return json_response(
                {
                    "kind": f"{rt.kind}List",
                    "apiVersion": rt.api_version,
                    "metadata": {"resourceVersion": str(self.api.store.revision)},
                    "items": items,
                }
            )
        if verb == "get":
            if target.subresource == "log":
                return self._logs(target, query)
            obj = self.api.get(target)
            if _wants_table(request) and target.subresource is None:
                return json_response(self._table(target, [obj], query))
            return json_response(obj)
        if verb == "create":
            return json_response(self.api.create(target, body, dry_run), status=201)
        if verb == "update":
            return json_response(self.api.update(target, body, dry_run))
        if verb == "patch":
            return json_response(self.api.patch(target, body, request.content_type, dry_run))
        if verb == "delete":
            return json_response(self.api.delete(target, dry_run))
        raise ApiError(
            405,
            f'{verb} is not supported on resources of kind "{target.rt.plural}"',
            reason="MethodNotAllowed",
        )

    def _table(self, target: Target, items: list[Obj], query: Any) -> Obj:
        return printers.table(
            target.rt,
            items,
            self.api.runtime.now_time(),
            query.get("includeObject"),
            str(self.api.store.revision),
        )

    def _authenticate(self, request: web.Request) -> Identity:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            identity = self.identities.lookup(header[len("Bearer ") :].strip())
            if identity is not None:
                return identity
        raise errors.unauthorized()

    @staticmethod
    def _discovery(path: str) -> Obj | None:
        parts = [p for p in path.split("/") if p]
        if parts == ["openapi", "v3"]:
            return openapi.index()
        if parts[:2] == ["openapi", "v3"]:
            return openapi.group_version_document(path)
        if parts == ["api"]:
            return discovery.api_versions()
        if parts == ["apis"]:
            return discovery.api_group_list()
        if len(parts) == 2 and parts[0] == "api":
            return discovery.api_resource_list("", parts[1])
        if len(parts) == 2 and parts[0] == "apis":
            return discovery.api_group(parts[1])
        if len(parts) == 3 and parts[0] == "apis":
            return discovery.api_resource_list(parts[1], parts[2])
        return None

    @staticmethod
    def _decode(raw: bytes, content_type: str) -> Any:
        try:
            if "yaml" in content_type:
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"the request body is not valid JSON: {exc}") from exc

    def _logs(self, target: Target, query: Any) -> web.Response:
        def number(key: str) -> int | None:
            value = query.get(key)
            if value is None:
                return None
            try:
                return int(value)
            except ValueError as exc:
                raise errors.bad_request(f"invalid {key}: {value}") from exc

        text = self.api.logs(
            target.namespace or "",
            target.name or "",
            query.get("container"),
            previous=_flag(query.get("previous")),
            tail_lines=number("tailLines"),
            since_seconds=number("sinceSeconds"),
            timestamps=_flag(query.get("timestamps")),
        )
        limit = number("limitBytes")
        if limit is not None:
            text = text.encode()[:limit].decode(errors="ignore")
        return web.Response(text=text, content_type="text/plain")
