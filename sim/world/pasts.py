"""What every copy of one snapshot may share: the snapshot's past, and any answer computed
from its world while a copy still stands exactly where the snapshot was taken.

`sim.session` starts each fresh cluster as a copy of a pickled one; eval runs a scenario's
four tasks on four copies, and the investigations read the same traces, logs and metrics.
Such answers are pure functions of the world's state (`World.state`), so they are kept per
process, by the snapshot's id, and handed to every copy: a trace of a moment before the
snapshot was taken (no copy can change its past), and a read while the copy's state still
equals the snapshot's (nothing has been written, no time has passed). Shared values are
never changed once built (a trace only gains its rendered JSON); the few newest
snapshots' are kept.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from sim.world.runtime import World

MAX_SNAPSHOTS = 4
MAX_ENTRIES = 20000  # per snapshot and kind

T = TypeVar("T")
_KEPT: OrderedDict[str, dict[str, dict[Any, Any]]] = OrderedDict()
_LOCK = threading.Lock()


def mark(world: World) -> None:
    """Called as a snapshot of `world` is taken: its copies, and `world` itself, share."""
    world.past = (uuid.uuid4().hex, world.state)


def past(world: World, kind: str, at: datetime) -> dict[Any, Any] | None:
    """The shared answers of `kind` about the moment `at`, if it is before the snapshot."""
    if world.past is None or not at < world.past[1][0]:
        return None
    return _kept(world.past[0], kind)


def unchanged(world: World, kind: str) -> dict[Any, Any] | None:
    """The shared answers of `kind`, if `world` stands where its snapshot was taken."""
    if world.past is None or world.state != world.past[1]:
        return None
    return _kept(world.past[0], kind)


def remembered(world: World, kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave a copy that stood at this same state (errors are raised
    every time, never kept)."""
    shared = unchanged(world, kind)
    if shared is None:
        return compute()
    if key not in shared:
        shared[key] = compute()
    return cast(T, shared[key])


def _kept(snapshot: str, kind: str) -> dict[Any, Any]:
    with _LOCK:
        kinds = _KEPT.get(snapshot)
        if kinds is None:
            kinds = _KEPT[snapshot] = {}
            while len(_KEPT) > MAX_SNAPSHOTS:
                _KEPT.popitem(last=False)
        _KEPT.move_to_end(snapshot)
        answers = kinds.setdefault(kind, {})
        if len(answers) > MAX_ENTRIES:
            answers.clear()
        return answers
