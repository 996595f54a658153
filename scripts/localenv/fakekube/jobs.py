"""A stand-in for the Job controller (batch/v1), driven by the controller loop in controllers.py.

A Job runs one Pod at a time from its template, labelled and owned as the real controller does (`job-name`,
`controller-uid` and their `batch.kubernetes.io/` forms; a controller ownerReference). The Pod runs and ends like
every simulated Pod (`podStartDelay`, `podDelay`, failures armed with `POST /__fake/pods/fail`). A failed Pod is
replaced until `spec.backoffLimit` (default 6) failures have happened; then the Job is Failed with
`BackoffLimitExceeded`. A Job still active `spec.activeDeadlineSeconds` after its start is Failed with
`DeadlineExceeded` and its running Pod deleted. A succeeded Pod completes the Job (`SuccessCriteriaMet`, then
`Complete`). `completions` and `parallelism` other than 1 are not simulated: such a Job is Failed at once with a
message saying so, never left to look as if it ran.
"""

import hashlib
import time

from . import errors
from .api import internal_options
from .clock import now_rfc3339

JOBS, PODS = "batch/jobs", "/pods"
DEFAULT_BACKOFF_LIMIT = 6


def _condition(kind, reason, message):
    now = now_rfc3339()
    return {"type": kind, "status": "True", "reason": reason, "message": message, "lastProbeTime": now,
            "lastTransitionTime": now}


def _finished(job):
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or [])


class Jobs:
    """Runs the Jobs of the store; `track` is called for every Job event, `advance` on every controller tick."""

    def __init__(self, api, settings):
        self.api, self.store, self.registry, self.settings = api, api.store, api.registry, settings
        self._active = {}  # (namespace, name) -> monotonic time the Job started

    def track(self, job):
        meta = job["metadata"]
        ident = (meta["namespace"], meta["name"])
        if _finished(job) or meta.get("deletionTimestamp") or (job.get("spec") or {}).get("suspend"):
            self._active.pop(ident, None)
        else:
            self._active.setdefault(ident, time.monotonic())

    def forget(self, namespace, name):
        self._active.pop((namespace, name), None)

    def advance(self):
        jobs_rt, pods_rt = self.registry.by_key(JOBS), self.registry.by_key(PODS)
        if jobs_rt is None:
            return
        now = time.monotonic()
        for ident, started in list(self._active.items()):
            job = self.store.get(JOBS, *ident)
            if job is None or _finished(job):
                self._active.pop(ident, None)
                continue
            self._step(jobs_rt, pods_rt, job, now - started)

    def _pods(self, job):
        uid = job["metadata"]["uid"]
        return [p for p in self.store.items(PODS, job["metadata"]["namespace"])
                if any(r.get("uid") == uid and r.get("controller") for r in p["metadata"].get("ownerReferences")
                       or [])]

    def _step(self, jobs_rt, pods_rt, job, elapsed):
        spec, status = job.get("spec") or {}, dict(job.get("status") or {})
        pods = self._pods(job)
        phases = [(p.get("status") or {}).get("phase", "Pending") for p in pods]
        active = [p for p, phase in zip(pods, phases) if phase in ("Pending", "Running")
                  and not p["metadata"].get("deletionTimestamp")]
        succeeded = phases.count("Succeeded")
        failed = max(phases.count("Failed"), int(status.get("failed") or 0))  # failed Pods may have been deleted
        status.setdefault("startTime", now_rfc3339())
        status.update({"active": len(active), "ready": sum(p == "Running" for p in phases), "succeeded": succeeded,
                       "failed": failed, "terminating": 0})
        if int(spec.get("completions") or 1) != 1 or int(spec.get("parallelism") or 1) != 1:
            self._end(jobs_rt, job, status, "Failed", "NotSimulated",
                      "the fake cluster runs Jobs of one completion and parallelism 1 only")
        elif succeeded:
            status["completionTime"] = now_rfc3339()
            self._end(jobs_rt, job, status, "Complete", "CompletionsReached",
                      "Reached expected number of succeeded pods", met=True)
        elif spec.get("activeDeadlineSeconds") is not None and elapsed >= float(spec["activeDeadlineSeconds"]):
            for pod in active:
                self._delete(pods_rt, pod)
            status["active"] = 0
            self._end(jobs_rt, job, status, "Failed", "DeadlineExceeded",
                      "Job was active longer than specified deadline")
        elif failed > int(spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT)):
            self._end(jobs_rt, job, status, "Failed", "BackoffLimitExceeded",
                      "Job has reached the specified backoff limit")
        else:
            if not active:
                self._create_pod(pods_rt, job, attempt=len(pods))
                status["active"] = 1
            if status != (job.get("status") or {}):
                self.api.mutate(jobs_rt, job["metadata"]["namespace"], job["metadata"]["name"],
                                lambda doc: doc.__setitem__("status", status))

    def _end(self, jobs_rt, job, status, kind, reason, message, met=False):
        conditions = [c for c in status.get("conditions") or [] if c.get("type") not in (kind, "SuccessCriteriaMet")]
        if met:
            conditions.append(_condition("SuccessCriteriaMet", reason, message))
        conditions.append(_condition(kind, reason, message))
        status["conditions"] = conditions
        meta = job["metadata"]
        self.api.mutate(jobs_rt, meta["namespace"], meta["name"], lambda doc: doc.__setitem__("status", status))
        self._active.pop((meta["namespace"], meta["name"]), None)

    def _create_pod(self, pods_rt, job, attempt):
        meta, template = job["metadata"], (job.get("spec") or {}).get("template") or {}
        suffix = hashlib.sha256(f"{meta['uid']}/{attempt}".encode()).hexdigest()[:5]
        labels = {**((template.get("metadata") or {}).get("labels") or {}),
                  "job-name": meta["name"], "controller-uid": meta["uid"],
                  "batch.kubernetes.io/job-name": meta["name"], "batch.kubernetes.io/controller-uid": meta["uid"]}
        body = {"metadata": {"name": f"{meta['name']}-{suffix}", "labels": labels,
                             "annotations": dict((template.get("metadata") or {}).get("annotations") or {}),
                             "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"],
                                                  "uid": meta["uid"], "controller": True,
                                                  "blockOwnerDeletion": True}]},
                "spec": template.get("spec") or {}}
        try:
            self.api.create(pods_rt, meta["namespace"], body, internal_options())
        except errors.ApiError as e:
            if e.code != 409:  # already made on an earlier tick
                raise

    def _delete(self, pods_rt, pod):
        try:
            self.api.delete(pods_rt, pod["metadata"]["namespace"], pod["metadata"]["name"], {}, internal_options())
        except errors.ApiError as e:
            if e.code != 404:
                raise
