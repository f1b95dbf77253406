"""Scenarios as data: one YAML file names an app, the fault primitives to inject (with their
parameters), the ground-truth labels, the tasks and how mitigation is judged.

Validation errors point at the YAML line they come from, so a user writing a scenario for a
past incident of theirs gets `file.yaml:12: faults[0].params.target: field required`, never a
traceback.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

TaskType = Literal["detection", "localization", "analysis", "mitigation"]
TASK_TYPES: tuple[TaskType, ...] = ("detection", "localization", "analysis", "mitigation")
SYSTEM_LEVELS = ("Hardware", "Operating System", "Virtualization", "Application")
FAULT_TYPES = (
    "Misconfiguration",
    "Code Defect",
    "Authentication Issue",
    "Network/Storage Issue",
    "Operation Error",
    "Dependency Problem",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultSpec(_Strict):
    primitive: str
    params: dict[str, Any] = Field(default_factory=dict)
    at_minutes_ago: float | None = None  # default: the scenario's fault time


class Labels(_Strict):
    """The answer key, in AIOpsLab's vocabulary."""

    detected: bool = True
    faulty_components: list[str] = Field(default_factory=list)
    # Extra names that also count as the component (AIOpsLab's mongodb- prefix rule).
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    system_level: str | None = None
    fault_type: str | None = None
    root_cause: str = ""

    @field_validator("system_level")
    @classmethod
    def _level(cls, value: str | None) -> str | None:
        if value is not None and value not in SYSTEM_LEVELS:
            raise ValueError(f"must be one of {', '.join(SYSTEM_LEVELS)}")
        return value

    @field_validator("fault_type")
    @classmethod
    def _type(cls, value: str | None) -> str | None:
        if value is not None and value not in FAULT_TYPES:
            raise ValueError(f"must be one of {', '.join(FAULT_TYPES)}")
        return value


class CheckSpec(_Strict):
    check: str
    params: dict[str, Any] = Field(default_factory=dict)


class MitigationSpec(_Strict):
    """How a mitigation is judged: AIOpsLab's oracle, then our checks that the cause is gone."""

    sweep: Literal["guarded", "unguarded", "wrong_bin", "wait_for_ready"] = "unguarded"
    aiopslab_checks: list[CheckSpec] = Field(default_factory=list)
    verify: list[CheckSpec] = Field(default_factory=list)


class History(_Strict):
    deployed_minutes_ago: float = 30.0
    fault_minutes_ago: float = 5.0


class Scenario(_Strict):
    id: str
    title: str
    app: Literal["hotel-reservation", "social-network", "astronomy-shop"]
    description: str = ""
    seed: int = 0
    tasks: list[TaskType]
    aiopslab_ids: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    history: History = Field(default_factory=History)
    faults: list[FaultSpec] = Field(default_factory=list)
    labels: Labels = Field(default_factory=Labels)
    mitigation: MitigationSpec | None = None
    alert: dict[str, Any] = Field(default_factory=dict)

    def task_id(self, task: TaskType) -> str:
        """The AIOpsLab problem id of a task, or `<scenario>-<task>` for our own scenarios."""
        for problem in self.aiopslab_ids:
            if task in re.split(r"[-_]", problem):
                return problem
        return f"{self.id}-{task}"


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with every problem located by line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__("\n".join(f"{source}:{p}" for p in problems))
        self.source = source
        self.problems = problems


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A YAML loader that remembers the line each mapping key sits on (libyaml's parser where
    PyYAML has it: every process parses the hundred bundled scenarios)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = {}
    lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    mapping["__lines__"] = lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__lines__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _line_of(doc: Any, location: tuple[int | str, ...]) -> int:
    line, node = 1, doc
    for part in location:
        if isinstance(node, dict):
            line = node.get("__lines__", {}).get(part, line)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            if isinstance(node, dict) and node.get("__lines__"):
                line = min(node["__lines__"].values())
        else:
            break
    return line


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and validate one scenario document, including its faults' and checks' params."""
    try:
        doc = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError(
            source, [f"{line}: not valid YAML: {getattr(exc, 'problem', exc)}"]
        ) from None
    if not isinstance(doc, dict):
        raise ScenarioError(source, ["1: a scenario must be a YAML mapping"])
    try:
        scenario = Scenario.model_validate(_strip_lines(doc))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = tuple(error["loc"])
            where = ".".join(str(p) for p in location) or "(top level)"
            problems.append(f"{_line_of(doc, location)}: {where}: {error['msg']}")
        raise ScenarioError(source, problems) from None
    from sim.checks import CHECKS
    from sim.faults import PRIMITIVES

    problems = []
    for i, fault in enumerate(scenario.faults):
        for problem in PRIMITIVES.problems(fault.primitive, fault.params):
            problems.append(f"{_line_of(doc, ('faults', i))}: faults[{i}]: {problem}")
    if scenario.mitigation is not None:
        for group in ("aiopslab_checks", "verify"):
            for i, check in enumerate(getattr(scenario.mitigation, group)):
                for problem in CHECKS.problems(check.check, check.params):
                    line = _line_of(doc, ("mitigation", group, i))
                    problems.append(f"{line}: mitigation.{group}[{i}]: {problem}")
    if "mitigation" in scenario.tasks and scenario.mitigation is None:
        problems.append(
            f"{_line_of(doc, ('tasks',))}: tasks: a mitigation task needs a `mitigation` section"
        )
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario_file(path: Path) -> Scenario:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(str(path), [f"1: cannot read: {exc.strerror}"]) from None
    return parse_scenario(text, str(path))


@cache
def bundled_scenarios() -> dict[str, Scenario]:
    """Every scenario shipped in sim/scenarios, by id."""
    out: dict[str, Scenario] = {}
    folder = resources.files("sim").joinpath("scenarios")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            scenario = parse_scenario(entry.read_text(), f"sim/scenarios/{entry.name}")
            out[scenario.id] = scenario
    return out


def find_scenario(name: str) -> Scenario:
    """A bundled scenario by its id or by one of its AIOpsLab problem ids."""
    scenarios = bundled_scenarios()
    if name in scenarios:
        return scenarios[name]
    for scenario in scenarios.values():
        if name in scenario.aiopslab_ids:
            return scenario
    raise KeyError(name)


def aiopslab_task(name: str) -> tuple[Scenario, TaskType] | None:
    """(scenario, task) for an AIOpsLab problem id such as `revoke_auth_mongodb-analysis-1`."""
    for scenario in bundled_scenarios().values():
        if name in scenario.aiopslab_ids:
            for task in scenario.tasks:
                if scenario.task_id(task) == name:
                    return scenario, task
    return None
