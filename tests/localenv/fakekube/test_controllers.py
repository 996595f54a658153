"""Simulated controllers: Pods run to completion or fail on request, PVs and PVCs bind, VMs follow runStrategy,
namespaces terminate."""

import json

from .conftest import wait_for

POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
  labels: {{forklift.konveyor.io/plan: plan1}}
spec:
  restartPolicy: Never
  {extra}
  containers:
  - name: virt-v2v
    image: quay.io/kubev2v/forklift-virt-v2v:latest
    terminationMessagePolicy: FallbackToLogsOnError
"""


def pod_phase(kube, ns, name):
    return kube.ok("GET", f"/api/v1/namespaces/{ns}/pods/{name}").get("status", {}).get("phase")


def test_pod_runs_to_succeeded_with_a_log(kube, ns):
    start_delay = kube.control("GET", "config")["podStartDelay"]
    kube.control("POST", "config", {"podStartDelay": 60})  # hold it Pending while kubectl looks
    try:
        kube.kubectl_ok("create", "-f", "-", input=POD.format(ns=ns, name="conv-ok", extra=""))
        err = kube.kubectl_fails("logs", "conv-ok", "-n", ns)
        assert 'is waiting to start: ContainerCreating' in err
        assert kube.kubectl_ok("get", "pod", "conv-ok", "-n", ns).splitlines()[1].split()[2] == "Pending"
    finally:
        kube.control("POST", "config", {"podStartDelay": start_delay})
    wait_for(lambda: pod_phase(kube, ns, "conv-ok") == "Running", 5, message="Running")
    pod = kube.ok("GET", f"/api/v1/namespaces/{ns}/pods/conv-ok")
    assert pod["spec"]["nodeName"] in ("worker-0", "worker-1", "worker-2")
    assert pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]
    assert pod["status"]["startTime"]
    wait_for(lambda: pod_phase(kube, ns, "conv-ok") == "Succeeded", 5, message="Succeeded")
    row = kube.kubectl_ok("get", "pod", "conv-ok", "-n", ns).splitlines()[1].split()
    assert row[:3] == ["conv-ok", "0/1", "Completed"]
    assert "ran to completion" in kube.kubectl_ok("logs", "conv-ok", "-n", ns)
    terminated = kube.ok("GET", f"/api/v1/namespaces/{ns}/pods/conv-ok")["status"]["containerStatuses"][0]
    assert terminated["state"]["terminated"]["exitCode"] == 0
    assert terminated["state"]["terminated"]["reason"] == "Completed"


def test_armed_failure_gives_exit_code_log_and_termination_message(kube, ns):
    kube.control("POST", "pods/fail", {"namespace": ns, "labelSelector": "forklift.konveyor.io/plan=plan1",
                                       "exitCode": 3, "log": "line 1\nline 2\nvirt-v2v: error: no disks\n",
                                       "count": 1})
    kube.kubectl_ok("create", "-f", "-", input=POD.format(ns=ns, name="conv-bad", extra=""))
    wait_for(lambda: pod_phase(kube, ns, "conv-bad") == "Failed", 6, message="Failed")
    state = kube.ok("GET", f"/api/v1/namespaces/{ns}/pods/conv-bad")["status"]["containerStatuses"][0]["state"]
    assert state["terminated"]["exitCode"] == 3 and state["terminated"]["reason"] == "Error"
    assert state["terminated"]["message"].endswith("virt-v2v: error: no disks\n")
    assert kube.kubectl_ok("logs", "conv-bad", "-n", ns, "--tail=1") == "virt-v2v: error: no disks\n"
    assert kube.kubectl_ok("get", "pods", "-n", ns, "--field-selector", "status.phase=Failed", "-o", "name") == \
        "pod/conv-bad\n"
    kube.kubectl_ok("create", "-f", "-", input=POD.format(ns=ns, name="conv-next", extra=""))
    wait_for(lambda: pod_phase(kube, ns, "conv-next") == "Succeeded", 6, message="the rule is used up")


def test_pod_whose_node_selector_matches_no_node_stays_pending(kube, ns):
    extra = "nodeSelector: {kubernetes.io/arch: arm64}"
    kube.kubectl_ok("create", "-f", "-", input=POD.format(ns=ns, name="arm", extra=extra))
    condition = wait_for(lambda: next((c for c in kube.ok("GET", f"/api/v1/namespaces/{ns}/pods/arm")
                                       .get("status", {}).get("conditions", []) if c["type"] == "PodScheduled"),
                                      None), 5, message="PodScheduled condition")
    assert condition["status"] == "False" and condition["reason"] == "Unschedulable"
    assert pod_phase(kube, ns, "arm") == "Pending"


def test_pv_and_pvc_bind_both_ways(kube, ns):
    def pv(name, claim=None):
        spec = {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "volumeMode": "Block",
                "storageClassName": "gp3-csi", "persistentVolumeReclaimPolicy": "Delete",
                "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": f"vol-{name}"}}
        if claim:
            spec["claimRef"] = {"namespace": ns, "name": claim}
        return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"{ns}-{name}"}, "spec": spec}

    def pvc(name, volume=None):
        spec = {"accessModes": ["ReadWriteOnce"], "volumeMode": "Block", "storageClassName": "gp3-csi",
                "resources": {"requests": {"storage": "10Gi"}}}
        if volume:
            spec["volumeName"] = f"{ns}-{volume}"
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}

    kube.ok("POST", "/api/v1/persistentvolumes", pv("a"))
    kube.ok("POST", f"/api/v1/namespaces/{ns}/persistentvolumeclaims", pvc("claim-a", volume="a"))
    kube.ok("POST", f"/api/v1/namespaces/{ns}/persistentvolumeclaims", pvc("claim-b"))
    kube.ok("POST", "/api/v1/persistentvolumes", pv("b", claim="claim-b"))
    kube.ok("POST", f"/api/v1/namespaces/{ns}/persistentvolumeclaims", pvc("lonely"))

    def claim(name):
        return kube.ok("GET", f"/api/v1/namespaces/{ns}/persistentvolumeclaims/{name}")

    for name in ("claim-a", "claim-b"):
        wait_for(lambda: claim(name).get("status", {}).get("phase") == "Bound", 5, message=f"{name} Bound")
    bound_b = claim("claim-b")
    assert bound_b["spec"]["volumeName"] == f"{ns}-b"
    assert bound_b["status"]["capacity"] == {"storage": "10Gi"}
    assert bound_b["status"]["accessModes"] == ["ReadWriteOnce"]
    volume_a = kube.ok("GET", f"/api/v1/persistentvolumes/{ns}-a")
    assert volume_a["status"]["phase"] == "Bound"
    assert volume_a["spec"]["claimRef"]["uid"] == claim("claim-a")["metadata"]["uid"]
    assert claim("lonely")["status"]["phase"] == "Pending"
    rows = kube.kubectl_ok("get", "pvc", "-n", ns).splitlines()
    assert rows[0].split()[:4] == ["NAME", "STATUS", "VOLUME", "CAPACITY"]
    assert rows[1].split()[:4] == ["claim-a", "Bound", f"{ns}-a", "10Gi"]
    kube.ok("DELETE", f"/api/v1/namespaces/{ns}/persistentvolumeclaims/claim-a")
    wait_for(lambda: kube.ok("GET", f"/api/v1/persistentvolumes/{ns}-a")["status"]["phase"] == "Released", 5,
             message="Released")


def test_vm_printable_status_follows_run_strategy(kube, ns):
    vm = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "web"},
          "spec": {"runStrategy": "Always", "template": {"metadata": {"labels": {"kubevirt.io/vm": "web"}},
                                                         "spec": {"domain": {"devices": {}}}}}}
    kube.ok("POST", f"/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachines", vm)

    def vm_status():
        return kube.ok("GET", f"/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachines/web").get("status", {})

    wait_for(lambda: vm_status().get("printableStatus") == "Running", 5, message="Running")
    assert vm_status()["ready"] is True and vm_status()["created"] is True
    vmi = kube.ok("GET", f"/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachineinstances/web")
    assert vmi["status"]["phase"] == "Running" and vmi["metadata"]["ownerReferences"][0]["kind"] == "VirtualMachine"
    header, row = kube.kubectl_ok("get", "vm", "web", "-n", ns).splitlines()
    assert header.split() == ["NAME", "AGE", "STATUS", "READY"] and row.split()[2:] == ["Running", "True"]
    kube.kubectl_ok("patch", "vm", "web", "-n", ns, "--type", "merge", "-p", '{"spec":{"runStrategy":"Halted"}}')
    wait_for(lambda: vm_status().get("printableStatus") == "Stopped", 5, message="Stopped")
    wait_for(lambda: kube.request("GET", f"/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachineinstances/web")
             .status == 404, 5, message="VMI removed")
    elsewhere = {**vm, "metadata": {"name": "elsewhere"}, "spec": {**vm["spec"], "template": {"spec": {
        "nodeSelector": {"topology.kubernetes.io/zone": "us-east-1a"}, "domain": {"devices": {}}}}}}
    kube.ok("POST", f"/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachines", elsewhere)
    wait_for(lambda: kube.ok("GET", f"/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachines/elsewhere")
             .get("status", {}).get("printableStatus") == "ErrorUnschedulable", 5, message="no node in that zone")
    manual = {**vm, "metadata": {"name": "manual"}, "spec": {**vm["spec"], "runStrategy": "Manual"}}
    kube.ok("POST", f"/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachines", manual)
    wait_for(lambda: kube.ok("GET", f"/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachines/manual")
             .get("status", {}).get("printableStatus") == "Stopped", 5, message="Manual is Stopped")


def test_deleting_a_namespace_removes_its_objects(kube):
    ns = kube.namespace("doomed")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "finalizers": ["test/hold"]}}
    kube.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm)
    kube.ok("POST", f"/api/v1/namespaces/{ns}/secrets", {"metadata": {"name": "s"}})
    kube.ok("DELETE", f"/api/v1/namespaces/{ns}")
    assert kube.ok("GET", f"/api/v1/namespaces/{ns}")["status"]["phase"] == "Terminating"
    refused = kube.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "late"}})
    assert refused.status == 403 and "being terminated" in refused.json["message"]
    wait_for(lambda: kube.request("GET", f"/api/v1/namespaces/{ns}/secrets/s").status == 404, 5)
    assert kube.request("GET", f"/api/v1/namespaces/{ns}").status == 200, "waits for the finalizer"
    kube.ok("PATCH", f"/api/v1/namespaces/{ns}/configmaps/cm", {"metadata": {"finalizers": None}},
            headers={"Content-Type": "application/merge-patch+json"})
    wait_for(lambda: kube.request("GET", f"/api/v1/namespaces/{ns}").status == 404, 5, message="namespace gone")
    assert kube.request("DELETE", "/api/v1/namespaces/default").status == 403
    assert json.loads(kube.kubectl_ok("get", "ns", "default", "-o", "json"))["status"]["phase"] == "Active"
