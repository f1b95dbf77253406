"""What a container sees of its pod spec: environment variables (values, field and
ConfigMap/Secret references) and files in its ConfigMap, Secret and emptyDir volumes."""

from __future__ import annotations

import base64
import re
from typing import Any

from sim.kube.resources import resource_for_kind
from sim.kube.store import ObjectStore

Obj = dict[str, Any]
CONFIGMAPS = resource_for_kind("ConfigMap")
SECRETS = resource_for_kind("Secret")


class Mounts:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        # emptyDir contents, by (pod uid, volume name): what init containers wrote.
        self.emptydirs: dict[tuple[str, str], dict[str, str]] = {}

    def forget(self, pod_uid: str) -> None:
        """An emptyDir lives and dies with its pod."""
        for key in [k for k in self.emptydirs if k[0] == pod_uid]:
            del self.emptydirs[key]

    def env(self, pod: Obj, container: Obj) -> dict[str, str]:
        """The container's environment, with `$(VAR)` references expanded as the kubelet does."""
        namespace = pod["metadata"]["namespace"]
        values: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            ref = source.get("configMapRef") or source.get("secretRef") or {}
            data = self._data(namespace, ref.get("name", ""), secret="secretRef" in source)
            values.update({source.get("prefix", "") + k: v for k, v in data.items()})
        for item in container.get("env") or []:
            if "value" in item:
                values[item["name"]] = re.sub(
                    r"\$\((\w+)\)", lambda m: values.get(m.group(1), m.group(0)), str(item["value"])
                )
                continue
            source = item.get("valueFrom") or {}
            if "fieldRef" in source:
                values[item["name"]] = self._field(pod, source["fieldRef"].get("fieldPath", ""))
            for key, secret in (("configMapKeyRef", False), ("secretKeyRef", True)):
                if key in source:
                    ref = source[key]
                    data = self._data(namespace, ref.get("name", ""), secret=secret)
                    if ref.get("key") in data:
                        values[item["name"]] = data[ref["key"]]
        return values

    def _field(self, pod: Obj, path: str) -> str:
        if path == "status.podIP":
            return str((pod.get("status") or {}).get("podIP", ""))
        match = re.match(r"metadata\.(labels|annotations)\['(.+)'\]", path)
        if match:
            return str((pod["metadata"].get(match.group(1)) or {}).get(match.group(2), ""))
        node: Any = pod
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return "" if node is None else str(node)

    def _data(self, namespace: str, name: str, *, secret: bool) -> dict[str, str]:
        obj = self.store.peek(SECRETS if secret else CONFIGMAPS, namespace, name)
        if obj is None:
            return {}
        if secret:
            out = {
                k: base64.b64decode(v).decode(errors="replace")
                for k, v in (obj.get("data") or {}).items()
            }
            out.update(obj.get("stringData") or {})
            return out
        return dict(obj.get("data") or {})

    def file(self, pod: Obj, container: Obj, path: str) -> str | None:
        """A file from a ConfigMap, Secret or emptyDir volume the container mounts."""
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        namespace = pod["metadata"]["namespace"]
        for mount in container.get("volumeMounts") or []:
            mount_path = mount["mountPath"].rstrip("/")
            volume = volumes.get(mount["name"]) or {}
            if mount.get("subPath"):
                if path != mount_path:
                    continue
                key = mount["subPath"]
            elif path.startswith(mount_path + "/"):
                key = path[len(mount_path) + 1 :]
            else:
                continue
            if "emptyDir" in volume:
                files = self.emptydirs.get((pod["metadata"]["uid"], mount["name"]), {})
                return files.get(key)
            for kind, secret in (("configMap", False), ("secret", True)):
                if kind not in volume:
                    continue
                ref = volume[kind]
                data = self._data(
                    namespace, ref.get("name") or ref.get("secretName", ""), secret=secret
                )
                items = {i["path"]: i["key"] for i in ref.get("items") or []}
                return data.get(items.get(key, key))
        return None

    def write(self, pod: Obj, container: Obj, path: str, content: str) -> bool:
        """A container writes a file into an emptyDir volume it mounts (shared by the pod)."""
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        for mount in container.get("volumeMounts") or []:
            root = mount["mountPath"].rstrip("/")
            if path.startswith(root + "/") and "emptyDir" in volumes.get(mount["name"], {}):
                files = self.emptydirs.setdefault((pod["metadata"]["uid"], mount["name"]), {})
                files[path[len(root) + 1 :]] = content
                return True
        return False

    def directory(self, pod: Obj, container: Obj, directory: str) -> dict[str, str]:
        """All files a ConfigMap or Secret volume puts under `directory`."""
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        for mount in container.get("volumeMounts") or []:
            if mount["mountPath"].rstrip("/") != directory.rstrip("/") or mount.get("subPath"):
                continue
            volume = volumes.get(mount["name"]) or {}
            if "configMap" in volume:
                return self._data(
                    pod["metadata"]["namespace"], volume["configMap"]["name"], secret=False
                )
            if "secret" in volume:
                return self._data(
                    pod["metadata"]["namespace"],
                    volume["secret"].get("secretName", ""),
                    secret=True,
                )
        return {}
