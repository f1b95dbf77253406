"""kubectl's command-line grammar, as much of it as a policy needs to be exact: which flags
exist for which command and which of them take a value (cobra/pflag rules), and the resource
names kubectl accepts for the kinds a policy cares about.

A flag that is not listed here makes the command unparseable, and an unparseable command is
denied: the tables are an allowlist, so a spelling kubectl would accept but we do not know can
only ever be refused, never slip through.
"""

from __future__ import annotations


def _w(text: str) -> set[str]:
    return set(text.split())


# Global flags (kubectl options), valid before or after the command. Value-taking ones:
GLOBAL_VALUE = _w(
    "as as-group as-uid cache-dir certificate-authority client-certificate client-key cluster "
    "context kubeconfig log-flush-frequency namespace password profile profile-output "
    "request-timeout server tls-server-name token user username v vmodule"
)
GLOBAL_BOOL = _w(
    "disable-compression insecure-skip-tls-verify match-server-version warnings-as-errors"
)
SHORT = {"n": "namespace", "s": "server", "v": "v"}
# Value flags with a default when given bare (pflag's NoOptDefVal): `--dry-run` alone means
# client, and never takes the next argument as its value.
OPTIONAL_VALUE = {"dry-run"}

# Flags that change who kubectl is or which cluster it talks to: never the agent's choice.
IDENTITY_FLAGS = _w(
    "as as-group as-uid cache-dir certificate-authority client-certificate client-key cluster "
    "insecure-skip-tls-verify kubeconfig password server tls-server-name token user username"
)

# command -> (value flags, boolean flags, short flag -> long name).
COMMANDS: dict[str, tuple[set[str], set[str], dict[str, str]]] = {
    "get": (
        _w(
            "chunk-size field-selector filename kustomize label-columns output raw selector "
            "sort-by subresource template"
        ),
        _w(
            "all-namespaces allow-missing-template-keys ignore-not-found no-headers "
            "output-watch-events recursive server-print show-kind show-labels show-managed-fields "
            "watch watch-only"
        ),
        {
            "A": "all-namespaces",
            "L": "label-columns",
            "R": "recursive",
            "f": "filename",
            "k": "kustomize",
            "l": "selector",
            "o": "output",
            "w": "watch",
        },
    ),
    "describe": (
        _w("chunk-size filename kustomize selector"),
        _w("all-namespaces recursive show-events"),
        {
            "A": "all-namespaces",
            "R": "recursive",
            "f": "filename",
            "k": "kustomize",
            "l": "selector",
        },
    ),
    "logs": (
        _w(
            "container limit-bytes max-log-requests pod-running-timeout selector since since-time "
            "tail"
        ),
        _w(
            "all-containers all-pods follow ignore-errors insecure-skip-tls-verify-backend prefix "
            "previous timestamps"
        ),
        {"c": "container", "f": "follow", "l": "selector", "p": "previous"},
    ),
    "top": (
        _w("field-selector selector sort-by"),
        _w("all-namespaces containers no-headers show-capacity sum use-protocol-buffers"),
        {"A": "all-namespaces", "l": "selector"},
    ),
    "events": (
        _w("chunk-size for output template types"),
        _w("all-namespaces allow-missing-template-keys no-headers show-managed-fields watch"),
        {"A": "all-namespaces", "o": "output", "w": "watch"},
    ),
    "explain": (
        _w("api-version output"),
        _w("recursive"),
        {"o": "output"},
    ),
    "api-resources": (
        _w("api-group categories namespaced output sort-by verbs"),
        _w("cached no-headers"),
        {"o": "output"},
    ),
    "api-versions": (
        set(),
        set(),
        {},
    ),
    "version": (
        _w("output"),
        _w("client"),
        {"o": "output"},
    ),
    "cluster-info": (
        _w("namespaces output output-directory"),
        _w("all-namespaces"),
        {"A": "all-namespaces", "o": "output"},
    ),
    "auth": (
        _w("subresource"),
        _w("all-namespaces list no-headers quiet"),
        {"A": "all-namespaces", "q": "quiet"},
    ),
    "rollout": (
        _w("dry-run field-manager output record revision selector template timeout to-revision"),
        _w("allow-missing-template-keys recursive show-managed-fields watch"),
        {"R": "recursive", "l": "selector", "o": "output", "w": "watch"},
    ),
    "patch": (
        _w(
            "allow-missing-template-keys dry-run field-manager filename kustomize output patch "
            "patch-file record show-managed-fields subresource template type"
        ),
        _w("allow-missing-template-keys local recursive show-managed-fields"),
        {"R": "recursive", "f": "filename", "k": "kustomize", "o": "output", "p": "patch"},
    ),
    "scale": (
        _w(
            "allow-missing-template-keys current-replicas dry-run field-manager field-selector "
            "filename output record replicas resource-version selector show-managed-fields "
            "template timeout"
        ),
        _w("all allow-missing-template-keys recursive show-managed-fields"),
        {"R": "recursive", "f": "filename", "l": "selector", "o": "output"},
    ),
    "delete": (
        _w(
            "cascade dry-run field-selector filename grace-period kustomize output raw selector "
            "timeout"
        ),
        _w("all all-namespaces force ignore-not-found interactive now recursive wait"),
        {
            "A": "all-namespaces",
            "R": "recursive",
            "f": "filename",
            "i": "interactive",
            "k": "kustomize",
            "l": "selector",
            "o": "output",
        },
    ),
    "set": (
        _w(
            "allow-missing-template-keys containers dry-run env field-manager field-selector "
            "filename from keys limits output prefix record requests resource-version selector "
            "show-managed-fields template"
        ),
        _w(
            "all allow-missing-template-keys list local overwrite recursive resolve "
            "show-managed-fields"
        ),
        {
            "R": "recursive",
            "c": "containers",
            "e": "env",
            "f": "filename",
            "l": "selector",
            "o": "output",
        },
    ),
    "label": (
        _w(
            "allow-missing-template-keys dry-run field-manager field-selector filename kustomize "
            "output record resource-version selector show-managed-fields template"
        ),
        _w(
            "all all-namespaces allow-missing-template-keys list local overwrite recursive "
            "show-managed-fields"
        ),
        {
            "A": "all-namespaces",
            "R": "recursive",
            "f": "filename",
            "k": "kustomize",
            "l": "selector",
            "o": "output",
        },
    ),
    "cordon": (
        _w("dry-run selector"),
        set(),
        {"l": "selector"},
    ),
    "drain": (
        _w(
            "chunk-size dry-run grace-period pod-selector selector skip-wait-for-delete-timeout "
            "timeout"
        ),
        _w("delete-emptydir-data disable-eviction force ignore-daemonsets"),
        {"l": "selector"},
    ),
    "apply": (
        _w(
            "allow-missing-template-keys cascade dry-run field-manager filename grace-period "
            "kustomize output prune-allowlist selector show-managed-fields template timeout "
            "validate"
        ),
        _w(
            "all allow-missing-template-keys force force-conflicts openapi-patch overwrite prune "
            "recursive server-side show-managed-fields wait"
        ),
        {"R": "recursive", "f": "filename", "k": "kustomize", "l": "selector", "o": "output"},
    ),
}
# Only for running an operator's runbook script (classify.py's _runbook says exactly what).
COMMANDS["exec"] = (
    _w("container filename pod-running-timeout"),
    _w("quiet stdin tty"),
    {"c": "container", "f": "filename", "i": "stdin", "t": "tty", "q": "quiet"},
)
COMMANDS["annotate"] = COMMANDS["label"]
COMMANDS["uncordon"] = COMMANDS["cordon"]

# Commands that are never run for an agent, whatever its role.
ALWAYS_DENIED = {
    "attach": "attaches to a running container",
    "port-forward": "opens a tunnel into the cluster",
    "proxy": "opens a proxy to the API server",
    "cp": "copies files into or out of containers",
    "debug": "starts a debugging container",
    "edit": "opens an interactive editor",
    "run": "starts arbitrary workloads",
    "create": "creates arbitrary objects",
    "replace": "replaces whole objects",
    "config": "reads or changes kubeconfig (credentials)",
    "plugin": "runs plugins",
    "certificate": "approves certificates",
    "taint": "changes node scheduling for every workload",
    "autoscale": "creates autoscalers",
    "expose": "creates services",
    "kustomize": "renders arbitrary manifests",
    "wait": "blocks on conditions",
    "diff": "runs an external diff program",
    "alpha": "runs alpha commands",
    "completion": "is not an operation",
}

# Resource names (lowercase) of the kinds a policy treats specially.
SECRET_NAMES = _w("secret secrets")
PROTECTED_KINDS = {
    "namespace": _w("namespace namespaces ns"),
    "node": _w("no node nodes"),
    "persistentvolume": _w("persistentvolume persistentvolumes pv"),
    "customresourcedefinition": _w("crd crds customresourcedefinition customresourcedefinitions"),
    "rbac": _w(
        "clusterrole clusterrolebinding clusterrolebindings clusterroles role rolebinding "
        "rolebindings roles sa serviceaccount serviceaccounts"
    ),
    "webhook": _w(
        "mutatingwebhookconfiguration mutatingwebhookconfigurations "
        "validatingwebhookconfiguration validatingwebhookconfigurations"
    ),
    "storageclass": _w("sc storageclass storageclasses"),
    "secret": SECRET_NAMES,
}
POD_NAMES = _w("po pod pods")
# Chaos Mesh experiments: ending one is how an injected fault is stopped.
CHAOS_NAMES = _w(
    "podchaos networkchaos dnschaos stresschaos iochaos timechaos httpchaos kernelchaos "
    "jvmchaos schedule workflow"
)
ROLLABLE = _w("daemonset daemonsets deploy deployment deployments ds statefulset statefulsets sts")
SCALABLE = ROLLABLE - _w("daemonset daemonsets ds") | _w(
    "replicaset replicasets rs replicationcontroller replicationcontrollers rc"
)
