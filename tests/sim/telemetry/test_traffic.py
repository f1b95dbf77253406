"""The traffic model's snapshot of the present is computed once per state of the world: asked
again at the same instant it is the same, and any change (a write, a surge, time moving on)
gives a new one that shows it."""

from __future__ import annotations

import pickle
from typing import Any


def test_the_present_snapshot_is_reused_until_the_world_changes(scenario_cluster: Any) -> None:
    running, kubectl = scenario_cluster("k8s_target_port-misconfig-1")
    world, traffic = running.cluster.world, running.cluster.metrics.traffic
    ns = running.namespace

    first = traffic.snapshot(ns, world.now)
    assert traffic.snapshot(ns, world.now) is first

    pod = kubectl.out("get", "pods", "-l", "app=text-service", "-o", "name").split("/")[-1].strip()
    uid = kubectl.json("get", "pod", pod)["metadata"]["uid"]
    served = [i for i in first.instances if i.pod["metadata"]["name"] == pod]
    assert served and served[0].pod["metadata"]["uid"] == uid

    kubectl.run("delete", "pod", pod, "--grace-period=0", "--force", writer=True)
    world.sync()
    after = traffic.snapshot(ns, world.now)
    assert after is not first
    assert all(i.pod["metadata"]["uid"] != uid for i in after.instances)

    entry, rps = next(iter(traffic.entries[ns].items()))
    rates = {
        op: rate
        for (i, op), rate in after.rates.items()
        if after.instances[i].telemetry.service == entry
    }
    traffic.add_surge(ns, world.now, 3.0)
    surged = traffic.snapshot(ns, world.now)
    assert surged is not after
    assert rps > 0 and rates
    for (i, op), rate in surged.rates.items():
        if surged.instances[i].telemetry.service == entry:
            assert rate == 3.0 * rates[op]

    running.cluster.advance(15)
    assert traffic.snapshot(ns, world.now) is not surged


def test_a_snapshots_lookups_are_its_instances_and_a_copy_rebuilds_them(
    scenario_cluster: Any,
) -> None:
    running, _ = scenario_cluster("astronomy_shop_payment_service_failure-1")
    snap = running.cluster.metrics.traffic.snapshot(running.namespace, running.cluster.world.now)
    services = {inst.service for inst in snap.instances}
    copy = pickle.loads(pickle.dumps(snap))
    failing = 0
    for s in [*sorted(services), "no-such-service"]:
        of = [i for i, inst in enumerate(snap.instances) if inst.service == s]
        ready = [i for i in of if snap.instances[i].ready]
        for ok in (True, False):
            answering = [
                i
                for i in ready
                if snap.instances[i].serving
                and any((r.kind == "ok") == ok for _, r in snap.outcomes(i))
            ]
            assert snap.answering(s, ok) == answering
            assert copy.answering(s, ok) == answering
            failing += not ok and bool(answering)
        assert snap.of(s) == of and snap.receivers(s) == ready
    assert failing  # the payment service fails some requests: the error side is exercised
    assert not pickle.loads(pickle.dumps(snap))._answering  # a copy starts without them
