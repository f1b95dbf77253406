"""Running a cluster's controllers at one instant until they settle.

Each controller brings its objects to the instant and says whether it changed anything. They
run in a fixed order, round and round, until every one has run once since the last change and
changed nothing. A controller that ran after the last change saw the final state, so it is not
run again to confirm: when the kubelet is the last to write, the endpoints controller that
followed it has already confirmed, and the next round stops at the kubelet. (Whole confirming
passes of all nine controllers cost about half of a history's simulation.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

# A round that keeps changing things past this is a bug in a controller, not a slow cluster.
MAX_ROUNDS = 40


class Syncing(Protocol):
    def sync(self, t: datetime) -> bool:
        """Bring every object of this controller to `t`; True if anything changed."""
        ...


def settle(controllers: Sequence[Syncing], t: datetime, max_rounds: int = MAX_ROUNDS) -> bool:
    """Run the controllers in order, round again, until each has run once since the last
    change without changing anything. True if they settled within `max_rounds` rounds."""
    quiet = 0  # consecutive runs, in order, that changed nothing
    for run in range(max_rounds * len(controllers)):
        if controllers[run % len(controllers)].sync(t):
            quiet = 0
        else:
            quiet += 1
            if quiet == len(controllers):
                return True
    return False
