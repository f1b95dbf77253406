"""The Probe: read-only. It turns the Observer's instruction into at most a few read commands
(the model writes them), and runs those the policy allows, as the read-only identity, never the
same command twice in one investigation. Its raw output goes to memory; only the Compressor's
summary of it reaches the Observer.

A command is one line, split like a shell would split words but never given to a shell:
    kubectl get pods -o wide          (the incident's namespace is added when none is named)
    metrics error_rate                (a named query an SRE uses; see tools/metrics.NAMED)
    promql sum(rate(...[5m]))         (raw PromQL)
    traces frontend                   (error and slow edges in a service's recent traces)"""

from __future__ import annotations

import shlex

from agents.decisions import ProbePlan
from agents.llm import LLMClient
from agents.target import ClusterTarget
from agents.tools.kubectl import Kubectl
from agents.tools.metrics import NAMED, Metrics
from agents.tools.record import ToolCall
from agents.tools.traces import Traces
from policies import Policy

_SCOPED = ("-n", "--namespace", "-A", "--all-namespaces")


class Probe:
    def __init__(
        self,
        target: ClusterTarget,
        client: LLMClient | None,
        policy: Policy | None = None,
        *,
        max_commands: int = 3,
        reply_tokens: int = 256,
    ) -> None:
        if not target.namespace:
            raise ValueError("the Probe needs the incident's namespace")
        self.namespace: str = target.namespace
        self.client = client
        self.max_commands = max_commands
        self.reply_tokens = reply_tokens
        self.kubectl = Kubectl(target, "probe", policy)
        self.metrics = Metrics(target.prometheus_url) if target.prometheus_url else None
        self.traces = Traces(target.jaeger_url) if target.jaeger_url else None
        self.ran: set[tuple[str, ...]] = set()

    def plan(self, instruction: str, context: str) -> list[str]:
        """The model's read commands for an instruction (at most `max_commands`)."""
        if self.client is None:
            raise ValueError("planning reads needs a model; the rules agent plans its own")
        reply = self.client.structured(
            [
                {"role": "system", "content": probe_prompt(self.namespace)},
                {"role": "user", "content": f"Instruction: {instruction}\nContext: {context}"},
            ],
            ProbePlan,
            max_tokens=self.reply_tokens,
            purpose="probe",
        )
        return reply.value.commands[: self.max_commands]

    def run(self, lines: list[str]) -> list[ToolCall]:
        """Run each command line the policy allows; refusals and repeats are recorded with the
        reason, so the Observer learns why nothing came back."""
        return [self.run_line(line) for line in lines[: self.max_commands]]

    def run_line(self, line: str) -> ToolCall:
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            return _refused([line], f"cannot split the command into words: {exc}")
        if not argv:
            return _refused([line], "empty command")
        key = tuple(argv)
        if key in self.ran:
            return _refused(argv, "already ran in this investigation; its output is above")
        self.ran.add(key)
        verb, rest = argv[0], argv[1:]
        metrics, traces = self.metrics, self.traces
        if verb == "kubectl":
            if not any(a in _SCOPED or a.startswith("--namespace=") for a in rest):
                argv = [*argv, "-n", self.namespace]
            return self.kubectl.run(argv)
        if verb == "metrics" and len(rest) == 1:
            return metrics.named(rest[0], self.namespace) if metrics else _none(argv)
        if verb == "promql" and rest:
            return metrics.promql(" ".join(rest)) if metrics else _none(argv)
        if verb == "traces" and len(rest) == 1:
            return traces.service(rest[0]) if traces else _none(argv)
        return _refused(argv, "not a Probe command: use kubectl, metrics, promql or traces")


def _refused(request: list[str], reason: str) -> ToolCall:
    return ToolCall(tool="probe", request=request, role="probe", decision="deny", reason=reason)


def _none(request: list[str]) -> ToolCall:
    return _refused(request, "this target has no such data source configured")


def probe_prompt(namespace: str) -> str:
    return (
        "You are the Probe of an SRE team: you gather facts with read-only commands and never "
        f"change anything. The incident is in namespace {namespace}. Answer with up to three "
        "commands, one per list item, in this language:\n"
        "  kubectl get|describe|logs|top|events ...   (read-only kubectl; no shell)\n"
        f"  metrics NAME   where NAME is one of: {', '.join(NAMED)}\n"
        "  promql EXPR    a raw PromQL instant query\n"
        "  traces SERVICE error and slow edges in the service's recent traces\n"
        "Secrets, exec, port-forward and writes are refused. Do not repeat a command."
    )
