"""API errors as Kubernetes `Status` objects, worded as a real API server words them."""

from __future__ import annotations

from typing import Any

from sim.kube.resources import ResourceType

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
}


class ApiError(Exception):
    """An error the API server answers with a `Status` body."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or _REASONS.get(code, "Unknown")
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(rt: ResourceType, name: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"kind": rt.plural}
    if name:
        details["name"] = name
    if rt.group:
        details["group"] = rt.group
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(404, f'{rt.group_resource} "{name}" not found', details=_details(rt, name))


def already_exists(rt: ResourceType, name: str) -> ApiError:
    return ApiError(
        409,
        f'{rt.group_resource} "{name}" already exists',
        reason="AlreadyExists",
        details=_details(rt, name),
    )


def conflict(rt: ResourceType, name: str) -> ApiError:
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {rt.group_resource} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        reason="Conflict",
        details=_details(rt, name),
    )


def invalid(rt: ResourceType, name: str, causes: list[tuple[str, str]]) -> ApiError:
    """422 with one cause per (field, message), e.g. ("spec.replicas", "Invalid value: ...")."""
    messages = [f"{field}: {msg}" for field, msg in causes]
    summary = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
    group_kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    details: dict[str, Any] = {"name": name, "kind": rt.kind}
    if rt.group:
        details["group"] = rt.group
    details["causes"] = [
        {
            "reason": "FieldValueForbidden"
            if msg.startswith("Forbidden")
            else "FieldValueRequired"
            if msg.startswith("Required")
            else "FieldValueInvalid",
            "message": msg,
            "field": field,
        }
        for field, msg in causes
    ]
    return ApiError(422, f'{group_kind} "{name}" is invalid: {summary}', details=details)


def forbidden(
    user: str,
    verb: str,
    rt: ResourceType,
    namespace: str | None,
    name: str | None,
    subresource: str | None = None,
) -> ApiError:
    resource = f"{rt.plural}/{subresource}" if subresource else rt.plural
    what = f'{rt.group_resource} "{name}"' if name else rt.group_resource
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    return ApiError(
        403,
        f'{what} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group '
        f'"{rt.group}"{where}',
        details=_details(rt, name),
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def namespace_not_found(namespace: str) -> ApiError:
    return ApiError(
        404,
        f'namespaces "{namespace}" not found',
        details={"name": namespace, "kind": "namespaces"},
    )
