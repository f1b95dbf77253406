"""The reconcile loop's shortcuts: a round stops once every controller has run since the last
change, and the controllers that depend on the stored objects alone skip unchanged inputs.
Both must leave the world exactly where full passes of every controller would."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sim.kube.resources import resource_for_kind
from sim.kube.targets import Target
from sim.scenario import find_scenario
from sim.session import _simulate, start_scenario
from sim.world.runtime import World
from sim.world.settling import MAX_ROUNDS, settle
from tests.conftest import PRESENT

SERVICES = resource_for_kind("Service")
T = PRESENT


class Writes:
    """A controller that changes something on its first `times` runs, and logs each run."""

    def __init__(self, name: str, log: list[str], times: int = 0) -> None:
        self.name, self.log, self.left = name, log, times

    def sync(self, t: Any) -> bool:
        self.log.append(self.name)
        self.left -= 1
        return self.left >= 0


def test_a_round_stops_once_each_has_run_since_the_last_change() -> None:
    log: list[str] = []
    controllers = [Writes("a", log), Writes("b", log, times=1), Writes("c", log)]
    assert settle(controllers, T)
    # c ran after b's change: the second round stops at b, not after a whole pass.
    assert log == ["a", "b", "c", "a", "b"]


def test_controllers_that_never_settle_are_stopped_and_say_so() -> None:
    log: list[str] = []
    assert not settle([Writes("a", log, times=10**6)], T, max_rounds=3)
    assert log == ["a"] * 3


def _full_passes(self: World) -> bool:
    """The loop as it was: whole passes of every controller, each walking all its objects,
    until a pass changes nothing."""
    t, changed = self.now, True
    for _ in range(MAX_ROUNDS):
        self.gc._settled_at = self.endpoints._settled_at = None
        changed = False
        for controller in self._controllers:
            changed |= controller.sync(t)
        if not changed:
            break
    seen_new = self._observe(t)
    return not changed and not seen_new


def _dump(world: World) -> str:
    objects = {
        f"{g}/{p}": {"/".join(key): obj for key, obj in objs.items()}
        for (g, p), objs in world.store._objects.items()
    }
    return json.dumps(
        [objects, world.store.revision, sorted(map(repr, world.observations.items()))],
        sort_keys=True,
        default=str,
    )


@pytest.mark.parametrize(
    "name", ["astronomy_shop_payment_service_failure-1", "scale_pod_zero_social_net-1"]
)
def test_a_history_is_the_one_full_passes_give(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = find_scenario(name)
    fast = _dump(_simulate(scenario, PRESENT, 0).world)
    monkeypatch.setattr(World, "_reconcile", _full_passes)
    assert fast == _dump(_simulate(scenario, PRESENT, 0).world)


def test_a_settled_world_is_a_fixed_point_of_every_controller() -> None:
    running = start_scenario(find_scenario("revoke_auth_mongodb-1"), present=PRESENT, serve=False)
    api, ns, world = running.cluster.api, running.namespace, running.cluster.world
    pod = api.list(Target.of("Pod", ns))[0]["metadata"]["name"]
    api.delete(Target.of("Pod", ns, pod))  # its ReplicaSet, the scheduler, the kubelet act
    api.list(Target.of("Pod", ns))
    world.gc._settled_at = world.endpoints._settled_at = None  # make them walk everything
    assert [type(c).__name__ for c in world._controllers if c.sync(world.now)] == []


def test_endpoints_skip_unchanged_inputs_and_follow_a_changed_pod(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = start_scenario(find_scenario("revoke_auth_mongodb-1"), present=PRESENT, serve=False)
    api, ns, world = running.cluster.api, running.namespace, running.cluster.world
    api.list(Target.of("Pod", ns))
    walks = [0]
    iterate = world.store.iter

    def counting(rt: Any, namespace: str | None = None) -> Any:
        walks[0] += rt is SERVICES
        return iterate(rt, namespace)

    monkeypatch.setattr(world.store, "iter", counting)
    assert world.endpoints.sync(world.now) is False and walks[0] == 0
    victim = next(p for p in api.list(Target.of("Pod", ns)) if p["status"].get("podIP"))
    api.delete(Target.of("Pod", ns, victim["metadata"]["name"]))
    assert walks[0] > 0  # the delete's own sync walked the services again
    addresses = json.dumps(api.list(Target.of("Endpoints", ns)))
    assert victim["metadata"]["uid"] not in addresses


def test_a_kind_revision_moves_with_writes_to_that_kind_only() -> None:
    running = start_scenario(find_scenario("revoke_auth_mongodb-1"), present=PRESENT, serve=False)
    api, ns, store = running.cluster.api, running.namespace, running.cluster.world.store
    configmaps, pods = resource_for_kind("ConfigMap"), resource_for_kind("Pod")
    pods_before = store.kind_revision(pods)
    api.create(
        Target.of("ConfigMap", ns),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}},
    )
    assert store.kind_revision(configmaps) == store.revision
    assert store.kind_revision(pods) == pods_before
    same = api.get(Target.of("ConfigMap", ns, "x"))
    revision = store.revision
    store.replace(configmaps, same)  # a no-op write bumps nothing
    assert store.revision == store.kind_revision(configmaps) == revision
    api.delete(Target.of("ConfigMap", ns, "x"))
    assert store.kind_revision(configmaps) == store.revision > revision
