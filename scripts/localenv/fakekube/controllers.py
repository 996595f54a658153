"""Simulated cluster controllers, so clients see the objects they create come alive.

One background thread follows the store's event history (like a watch on everything) and runs:
- the scheduler and kubelet: each Pod is bound to a node matching its nodeSelector, goes Running after
  `pod_start_delay` and Succeeded after `pod_delay` (or Failed with an exit code and log when a failure rule from
  the control API matches it); logs are kept for the log endpoint;
- the Job controller (jobs.py): one Pod at a time from the template, retries up to backoffLimit, deadlines;
- the PV/PVC binder: a PVC naming an existing PV, or a PV whose claimRef names an existing PVC, binds both;
- a KubeVirt stand-in: a VirtualMachine's status follows spec.runStrategy, with a VirtualMachineInstance that is
  created, runs (or stays unschedulable when its nodeSelector matches no node) and is removed accordingly;
- the namespace controller (empties a Terminating namespace, then removes it) and the garbage collector
  (ownerReferences, Background and Foreground propagation).

All writes go through Api with internal options, so they produce the same events and resourceVersions as
client writes.
"""

import logging
import threading
import time

from . import errors
from .api import internal_options
from .clock import now_rfc3339
from .jobs import JOBS, Jobs
from .selectors import LabelSelector

log = logging.getLogger("fakekube")

TICK = 0.05
LOG_TAIL_BYTES = 2048
PODS, PVS, PVCS, NODES = "/pods", "/persistentvolumes", "/persistentvolumeclaims", "/nodes"
VMS, VMIS = "kubevirt.io/virtualmachines", "kubevirt.io/virtualmachineinstances"
RUNNING_STRATEGIES = ("Always", "RerunOnFailure", "Once")


class PodOutcomes:
    """Failure rules armed through the control API; a Pod that matches one fails instead of succeeding."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def arm(self, spec):
        rule = {"namespace": spec.get("namespace", ""), "namePrefix": spec.get("namePrefix", ""),
                "labelSelector": LabelSelector.parse(spec.get("labelSelector", "")),
                "exitCode": int(spec.get("exitCode", 1)), "log": spec.get("log", "error: simulated failure\n"),
                "reason": spec.get("reason", "Error"),
                "count": None if spec.get("count") is None else int(spec["count"])}
        with self._lock:
            self._rules.append(rule)

    def clear(self):
        with self._lock:
            self._rules.clear()

    def take(self, pod):
        """The first rule matching `pod`, consuming one use of it; None means the Pod succeeds."""
        meta = pod["metadata"]
        with self._lock:
            for rule in self._rules:
                if rule["namespace"] and rule["namespace"] != meta.get("namespace"):
                    continue
                if not meta["name"].startswith(rule["namePrefix"]):
                    continue
                if not rule["labelSelector"].matches(meta.get("labels")):
                    continue
                if rule["count"] is not None:
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self._rules.remove(rule)
                return rule
        return None


def _condition(kind, status, reason="", message=""):
    condition = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": now_rfc3339()}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def _unschedulable(obj):
    return any(c.get("reason") == "Unschedulable" for c in (obj.get("status") or {}).get("conditions") or [])


def _set_status(status):
    def change(doc):
        doc["status"] = status
    return change


class Controllers:
    """The controller loop; `start()` runs it in a daemon thread until `stop()`."""

    def __init__(self, api, settings, outcomes):
        self.api, self.store, self.registry = api, api.store, api.registry
        self.settings, self.outcomes = settings, outcomes
        self.logs = {}  # (namespace, pod name) -> log text
        self._pods = {}  # (namespace, name) -> monotonic time first seen, for Pods not yet finished
        self._vmis = {}  # (namespace, name) -> monotonic time first seen, for Scheduling VMIs
        self._terminating = set()
        self.jobs = Jobs(api, settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fakekube-controllers", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)

    # --- loop --------------------------------------------------------------------------------------------------------

    def _run(self):
        position = self.store.rv
        self._resync()
        while not self._stop.is_set():
            self.store.wait(position, TICK)
            try:
                events = self.store.events_after(position)
            except errors.ApiError:  # fell behind a compaction: look at everything again
                position = self.store.rv
                self._resync()
                continue
            bind = False
            for event in events:
                position = event.rv
                bind = bind or event.key in (PVS, PVCS)
                self._guard(self._on_event, event)
            if bind:
                self._guard(self._bind_volumes)
            self._guard(self._advance_pods)
            self._guard(self.jobs.advance)
            self._guard(self._advance_vmis)

    @staticmethod
    def _guard(func, *args):
        try:
            func(*args)
        except Exception:  # a controller bug must not stop the simulation
            log.exception("controller step %s failed", getattr(func, "__name__", func))

    def _resync(self):
        for key, obj in self.store.all_items():
            self._guard(self._on_object, key, obj)
        self._guard(self._bind_volumes)

    def _on_event(self, event):
        meta = event.obj["metadata"]
        ident = (meta.get("namespace") or "", meta["name"])
        if event.type == "DELETED":
            if event.key == PODS:
                self._pods.pop(ident, None)
                self.logs.pop(ident, None)
            elif event.key == VMIS:
                self._vmis.pop(ident, None)
                self._reconcile_vm(*ident)
            elif event.key == JOBS:
                self.jobs.forget(*ident)
            self._collect_dependents(meta["uid"])
            for ref in meta.get("ownerReferences") or []:
                self._finish_foreground(ref.get("uid"))
            if ident[0] in self._terminating:
                self._empty_namespace(ident[0])
            return
        self._on_object(event.key, event.obj)

    def _on_object(self, key, obj):
        meta = obj["metadata"]
        ident = (meta.get("namespace") or "", meta["name"])
        if meta.get("deletionTimestamp") and "foregroundDeletion" in (meta.get("finalizers") or []):
            self._finish_foreground(meta["uid"])
        if key == PODS and (obj.get("status") or {}).get("phase") in (None, "Pending", "Running"):
            self._pods.setdefault(ident, time.monotonic())
        elif key == VMS:
            self._reconcile_vm(*ident)
        elif key == JOBS:
            self.jobs.track(obj)
        elif key == VMIS and (obj.get("status") or {}).get("phase") != "Running" and not _unschedulable(obj):
            self._vmis.setdefault(ident, time.monotonic())
        elif key == "/namespaces" and meta.get("deletionTimestamp"):
            self._terminating.add(meta["name"])
            self._empty_namespace(meta["name"])

    # --- pods --------------------------------------------------------------------------------------------------------

    def _advance_pods(self):
        now = time.monotonic()
        pods = self.registry.by_key(PODS)
        for ident, seen in list(self._pods.items()):
            pod = self.store.get(PODS, *ident)
            if pod is None:
                self._pods.pop(ident, None)
                continue
            phase = (pod.get("status") or {}).get("phase", "Pending")
            if phase == "Pending" and now - seen >= self.settings.pod_start_delay:
                self._start_pod(pods, pod)
            elif phase == "Running" and now - seen >= self.settings.pod_delay:
                self._finish_pod(pods, pod)
                self._pods.pop(ident, None)
            elif phase not in ("Pending", "Running"):
                self._pods.pop(ident, None)

    def _pick_node(self, pod):
        nodes = self.store.items(NODES)
        if not nodes:
            return "fake-node"  # a cluster without Node objects still runs its Pods
        wanted = (pod.get("spec") or {}).get("nodeSelector") or {}
        for node in nodes:
            labels = node["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in wanted.items()):
                return node["metadata"]["name"]
        return None

    def _start_pod(self, rt, pod):
        meta, spec = pod["metadata"], pod.get("spec") or {}
        node = spec.get("nodeName") or self._pick_node(pod)
        ident = (meta["namespace"], meta["name"])
        if node is None:
            if not _unschedulable(pod):
                self.api.mutate(rt, *ident, _set_status({"phase": "Pending",
                                                         "conditions": [self._unschedulable_condition()]}))
            return
        started = now_rfc3339()
        index = sum(map(ord, meta["name"])) % 250 + 2
        status = {
            "phase": "Running", "startTime": started, "hostIP": "10.0.1.10", "podIP": f"10.128.0.{index}",
            "podIPs": [{"ip": f"10.128.0.{index}"}], "qosClass": "BestEffort",
            "conditions": [_condition(t, "True") for t in ("PodScheduled", "Initialized", "ContainersReady",
                                                           "Ready")],
            "containerStatuses": [self._container_status(meta, c, {"running": {"startedAt": started}}, True)
                                  for c in spec.get("containers") or []],
        }
        if spec.get("initContainers"):
            status["initContainerStatuses"] = [
                self._container_status(meta, c, {"terminated": {"exitCode": 0, "reason": "Completed",
                                                                "startedAt": started, "finishedAt": started}}, False)
                for c in spec["initContainers"]]

        def change(doc):
            doc["spec"]["nodeName"] = node
            doc["status"] = status

        self.logs[ident] = ""
        self.api.mutate(rt, *ident, change)

    def _unschedulable_condition(self):
        message = f"0/{len(self.store.items(NODES))} nodes are available: node(s) didn't match Pod's node " \
                  f"affinity/selector."
        return _condition("PodScheduled", "False", "Unschedulable", message)

    @staticmethod
    def _container_status(meta, container, state, ready):
        return {"name": container.get("name", ""), "image": container.get("image", ""), "imageID": "",
                "containerID": f"fake://{meta['uid']}/{container.get('name', '')}", "ready": ready,
                "started": ready, "restartCount": 0, "state": state}

    def _finish_pod(self, rt, pod):
        meta = pod["metadata"]
        ident = (meta["namespace"], meta["name"])
        rule = self.outcomes.take(pod)
        exit_code = rule["exitCode"] if rule else 0
        text = rule["log"] if rule else f"fake-kube-apiserver: pod {meta['name']} ran to completion\n"
        self.logs[ident] = self.logs.get(ident, "") + text
        finished = now_rfc3339()
        failed = exit_code != 0
        containers = (pod.get("spec") or {}).get("containers") or []
        statuses = []
        for container, previous in zip(containers, (pod.get("status") or {}).get("containerStatuses") or []):
            terminated = {"exitCode": exit_code, "reason": rule["reason"] if failed else "Completed",
                          "startedAt": (previous.get("state", {}).get("running") or {}).get("startedAt", finished),
                          "finishedAt": finished, "containerID": previous.get("containerID", "")}
            if failed and container.get("terminationMessagePolicy") == "FallbackToLogsOnError":
                terminated["message"] = self.logs[ident][-LOG_TAIL_BYTES:]
            statuses.append({**previous, "ready": False, "started": False, "state": {"terminated": terminated}})

        def change(doc):
            status = doc.setdefault("status", {})
            status["phase"] = "Failed" if failed else "Succeeded"
            status["containerStatuses"] = statuses
            reason = "PodFailed" if failed else "PodCompleted"
            status["conditions"] = [c if c["type"] not in ("Ready", "ContainersReady")
                                    else _condition(c["type"], "False", reason)
                                    for c in status.get("conditions") or []]

        self.api.mutate(rt, *ident, change)

    def pod_log(self, namespace, name, container):
        """The log text of a Pod's container; 400 while it has not started, like the kubelet."""
        pods = self.registry.by_key(PODS)
        pod = self.api.get(pods, namespace, name)
        names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        if container and container not in names:
            raise errors.bad_request(f"container {container} is not valid for pod {name}")
        if not container and len(names) > 1:
            raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                     f"[{' '.join(names)}]")
        container = container or (names[0] if names else "")
        if (pod.get("status") or {}).get("phase", "Pending") == "Pending":
            raise errors.bad_request(f'container "{container}" in pod "{name}" is waiting to start: '
                                     f'ContainerCreating')
        return self.logs.get((namespace, name), "")

    # --- persistent volumes ----------------------------------------------------------------------------------------

    def _bind_volumes(self):
        pv_rt, pvc_rt = self.registry.by_key(PVS), self.registry.by_key(PVCS)
        claims = {(c["metadata"]["namespace"], c["metadata"]["name"]): c for c in self.store.items(PVCS)}
        volumes = {v["metadata"]["name"]: v for v in self.store.items(PVS)}
        bound_claims = set()
        for pv in volumes.values():
            ref = (pv.get("spec") or {}).get("claimRef") or {}
            claim = claims.get((ref.get("namespace"), ref.get("name"))) if ref.get("name") else None
            if claim and ref.get("uid") not in (None, "", claim["metadata"]["uid"]):
                claim = None  # the claim it was bound to is gone; this is a new one with the same name
            if claim and (claim.get("spec") or {}).get("volumeName") in (None, "", pv["metadata"]["name"]):
                self._bind(pv_rt, pvc_rt, pv, claim)
                bound_claims.add((claim["metadata"]["namespace"], claim["metadata"]["name"]))
            elif ref.get("uid"):
                self._set_phase(pv_rt, pv, "Released")
            else:
                self._set_phase(pv_rt, pv, "Available")
        for ident, claim in claims.items():
            if ident in bound_claims:
                continue
            pv = volumes.get((claim.get("spec") or {}).get("volumeName") or "")
            ref = ((pv or {}).get("spec") or {}).get("claimRef") or {}
            if pv and (not ref.get("name") or (ref.get("namespace"), ref.get("name")) == ident):
                self._bind(pv_rt, pvc_rt, pv, claim)
            else:
                self._set_phase(pvc_rt, claim, "Pending")

    def _bind(self, pv_rt, pvc_rt, pv, claim):
        claim_meta, pv_spec = claim["metadata"], pv.get("spec") or {}

        def bind_volume(doc):
            ref = doc["spec"].get("claimRef") or {}
            if ref.get("uid") != claim_meta["uid"]:
                doc["spec"]["claimRef"] = {"kind": "PersistentVolumeClaim", "apiVersion": "v1",
                                           "namespace": claim_meta["namespace"], "name": claim_meta["name"],
                                           "uid": claim_meta["uid"],
                                           "resourceVersion": claim_meta["resourceVersion"]}
            doc["status"] = {**(doc.get("status") or {}), "phase": "Bound"}

        def bind_claim(doc):
            annotations = doc["metadata"].setdefault("annotations", {})
            annotations["pv.kubernetes.io/bind-completed"] = "yes"
            if not doc["spec"].get("volumeName"):
                doc["spec"]["volumeName"] = pv["metadata"]["name"]
                annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
            doc["status"] = {"phase": "Bound", "accessModes": list(pv_spec.get("accessModes") or []),
                             "capacity": dict(pv_spec.get("capacity") or {})}

        self.api.mutate(pv_rt, "", pv["metadata"]["name"], bind_volume)
        self.api.mutate(pvc_rt, claim_meta["namespace"], claim_meta["name"], bind_claim)

    def _set_phase(self, rt, obj, phase):
        if (obj.get("status") or {}).get("phase") != phase:
            meta = obj["metadata"]
            self.api.mutate(rt, meta.get("namespace", ""), meta["name"],
                            _set_status({**(obj.get("status") or {}), "phase": phase}))

    # --- KubeVirt ----------------------------------------------------------------------------------------------------

    def _reconcile_vm(self, namespace, name):
        vm_rt, vmi_rt = self.registry.by_key(VMS), self.registry.by_key(VMIS)
        vm = self.store.get(VMS, namespace, name)
        if vm_rt is None or vmi_rt is None or vm is None or vm["metadata"].get("deletionTimestamp"):
            return
        spec = vm.get("spec") or {}
        strategy = spec.get("runStrategy") or ("Always" if spec.get("running") else "Halted")
        vmi = self.store.get(VMIS, namespace, name)
        if strategy in RUNNING_STRATEGIES:
            if vmi is None:
                vmi = self._create_vmi(vmi_rt, vm)
            running = (vmi.get("status") or {}).get("phase") == "Running"
            printable = "Running" if running else "ErrorUnschedulable" if _unschedulable(vmi) else "Starting"
            status = {"printableStatus": printable, "created": True, "ready": running,
                      "runStrategy": strategy,
                      "conditions": [_condition("Ready", "True") if running else
                                     _condition("Ready", "False", "GuestNotRunning", "Guest VM is not reported as "
                                                                                     "running")]}
        else:
            if vmi is not None:
                self.api.delete(vmi_rt, namespace, name, {}, internal_options())
            status = {"printableStatus": "Stopped", "runStrategy": strategy,
                      "conditions": [_condition("Ready", "False", "VMINotExists", "VMI does not exist")]}
        previous = vm.get("status") or {}
        # Only write when something other than condition timestamps changed, so the loop settles.
        if {k: v for k, v in previous.items() if k != "conditions"} != \
                {k: v for k, v in status.items() if k != "conditions"} or \
                [(c.get("type"), c.get("status")) for c in previous.get("conditions") or []] != \
                [(c["type"], c["status"]) for c in status["conditions"]]:
            self.api.mutate(vm_rt, namespace, name, _set_status(status))

    def _create_vmi(self, vmi_rt, vm):
        meta, template = vm["metadata"], (vm.get("spec") or {}).get("template") or {}
        body = {"metadata": {"name": meta["name"], "labels": dict((template.get("metadata") or {}).get("labels")
                                                                  or {}),
                             "ownerReferences": [{"apiVersion": vm["apiVersion"], "kind": "VirtualMachine",
                                                  "name": meta["name"], "uid": meta["uid"], "controller": True,
                                                  "blockOwnerDeletion": True}]},
                "spec": template.get("spec") or {}, "status": {"phase": "Scheduling"}}
        return self.api.create(vmi_rt, meta["namespace"], body, internal_options())

    def _advance_vmis(self):
        vmi_rt = self.registry.by_key(VMIS)
        now = time.monotonic()
        for ident, seen in list(self._vmis.items()):
            if now - seen < self.settings.vm_start_delay:
                continue
            self._vmis.pop(ident, None)
            vmi = self.store.get(VMIS, *ident)
            if vmi is None or vmi_rt is None:
                continue
            node = self._pick_node(vmi)
            if node is None:
                status = {"phase": "Scheduling", "conditions": [self._unschedulable_condition()]}
            else:
                status = {"phase": "Running", "nodeName": node, "conditions": [_condition("Ready", "True")],
                          "interfaces": [{"name": "default", "ipAddress": "10.128.1.10"}]}
            self.api.mutate(vmi_rt, *ident, _set_status(status))
            self._reconcile_vm(*ident)

    # --- namespaces and garbage collection --------------------------------------------------------------------------

    def _empty_namespace(self, namespace):
        ns_rt = self.registry.by_key("/namespaces")
        remaining = 0
        for rt in self.registry.all():
            if not rt.namespaced or not rt.storable:
                continue
            for obj in self.store.items(rt.key, namespace):
                remaining += 1
                if not obj["metadata"].get("deletionTimestamp"):
                    self._delete_quietly(rt, obj)
        if remaining == 0 and self.store.get("/namespaces", "", namespace) is not None:
            self._terminating.discard(namespace)
            self.api.remove(ns_rt, "", namespace)

    def _delete_quietly(self, rt, obj):
        meta = obj["metadata"]
        try:
            self.api.delete(rt, meta.get("namespace"), meta["name"], {}, internal_options())
        except errors.ApiError as e:
            if e.code != 404:
                raise

    def _collect_dependents(self, uid):
        """Background deletion: dependents whose owners are all gone are deleted."""
        for key, obj in self.api.dependents(uid):
            owners = [ref.get("uid") for ref in obj["metadata"].get("ownerReferences") or []]
            if all(self.store.by_uid(owner) is None for owner in owners):
                rt = self.registry.by_key(key)
                if rt is not None:
                    self._delete_quietly(rt, obj)

    def _finish_foreground(self, uid):
        """Foreground deletion: delete the owner's dependents, then drop its foregroundDeletion finalizer."""
        found = self.store.by_uid(uid) if uid else None
        if found is None:
            return
        key, owner = found
        meta = owner["metadata"]
        if not meta.get("deletionTimestamp") or "foregroundDeletion" not in (meta.get("finalizers") or []):
            return
        for dep_key, dep in self.api.dependents(uid):
            if not dep["metadata"].get("deletionTimestamp"):
                self._delete_quietly(self.registry.by_key(dep_key), dep)
        if self.api.dependents(uid):
            return  # some have finalizers of their own; their DELETED events bring us back here

        def drop_finalizer(doc):
            doc["metadata"]["finalizers"] = [f for f in doc["metadata"]["finalizers"] if f != "foregroundDeletion"]

        self.api.mutate(self.registry.by_key(key), meta.get("namespace"), meta["name"], drop_finalizer)
