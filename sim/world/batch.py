"""The Job controller (pods until completions, backoffLimit, Complete/Failed conditions,
the API server's selector defaulting) and the TTL-after-finished controller."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from sim.clock import parse_time, rfc3339
from sim.world.controllers import JOBS, Controller, Obj


class JobController(Controller):
    kind = JOBS

    def reconcile(self, job: Obj, t: datetime) -> bool:
        if not job["spec"].get("selector"):
            # The API server's Job defaulting: select the job's own pods by its uid.
            uid, name = job["metadata"]["uid"], job["metadata"]["name"]
            job = copy.deepcopy(job)
            job["spec"]["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
            labels = (
                job["spec"]
                .setdefault("template", {})
                .setdefault("metadata", {})
                .setdefault("labels", {})
            )
            labels.update(
                {
                    "batch.kubernetes.io/controller-uid": uid,
                    "batch.kubernetes.io/job-name": name,
                    "controller-uid": uid,
                    "job-name": name,
                }
            )
            if not job["metadata"].get("labels"):
                job["metadata"]["labels"] = dict(labels)
            self.world.store.replace(JOBS, job, check_version=False, copy_result=False)
        spec = job["spec"]
        status = copy.deepcopy(job.get("status") or {})
        conditions = status.get("conditions") or []
        if any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in conditions):
            return self._expire(job, t)
        pods = self._pods_of(job)
        succeeded = sum(1 for p in pods if p.get("status", {}).get("phase") == "Succeeded")
        failed = sum(1 for p in pods if p.get("status", {}).get("phase") == "Failed")
        active = len(pods) - succeeded - failed
        completions = spec.get("completions", 1)
        changed = False
        status.setdefault("startTime", rfc3339(t))
        if succeeded >= completions:
            status["completionTime"] = rfc3339(t)
            status["conditions"] = [
                {
                    "type": "SuccessCriteriaMet",
                    "status": "True",
                    "lastProbeTime": rfc3339(t),
                    "lastTransitionTime": rfc3339(t),
                },
                {
                    "type": "Complete",
                    "status": "True",
                    "lastProbeTime": rfc3339(t),
                    "lastTransitionTime": rfc3339(t),
                },
            ]
            self._emit(job, "Completed", "Job completed", t, "job-controller")
        elif failed > spec.get("backoffLimit", 6):
            status["conditions"] = [
                {
                    "type": "FailureTarget",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastProbeTime": rfc3339(t),
                    "lastTransitionTime": rfc3339(t),
                },
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastProbeTime": rfc3339(t),
                    "lastTransitionTime": rfc3339(t),
                },
            ]
            self._emit(
                job,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                t,
                "job-controller",
                warning=True,
            )
        elif active == 0:
            name = f"{job['metadata']['name']}-{self.world.store.random_suffix()}"
            self._new_pod(job, copy.deepcopy(spec.get("template") or {}), name, t)
            self._emit(job, "SuccessfulCreate", f"Created pod: {name}", t, "job-controller")
            active, changed = 1, True
        status.update(
            {
                "active": active,
                "succeeded": succeeded,
                "failed": failed,
                "ready": sum(1 for p in pods if self.world.pod_ready(p)),
            }
        )
        status = {k: v for k, v in status.items() if v != 0 or k == "ready"}
        if status != job.get("status"):
            changed |= self._write(JOBS, {**job, "status": status})
        return changed

    def _expire(self, job: Obj, t: datetime) -> bool:
        """The TTL-after-finished controller: delete finished Jobs whose TTL ran out."""
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        finished = (job.get("status") or {}).get("completionTime") or next(
            (
                c.get("lastTransitionTime")
                for c in job["status"].get("conditions") or []
                if c["type"] in ("Complete", "Failed")
            ),
            None,
        )
        if ttl is None or finished is None:
            return False
        if (t - parse_time(finished)).total_seconds() < ttl:
            return False
        self.world.store.delete(JOBS, job["metadata"]["namespace"], job["metadata"]["name"])
        return True

    def wake_times(self) -> list[datetime]:
        """When a finished Job's TTL runs out."""
        out = []
        for job in self.world.store.iter(JOBS):
            ttl = job["spec"].get("ttlSecondsAfterFinished")
            finished = (job.get("status") or {}).get("completionTime")
            if ttl is not None and finished:
                out.append(parse_time(finished) + timedelta(seconds=ttl))
        return out

    # -- DaemonSet --------------------------------------------------------------------------
