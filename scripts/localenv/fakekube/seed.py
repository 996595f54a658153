"""Objects a fresh fake cluster starts with.

Always: the namespaces every cluster has (`default`, `kube-system`, `kube-public`, `kube-node-lease`), the CRDs
(Forklift, KubeVirt, Multus, and any `--crd-dir`) and, when the server has a client or request-header CA, the
`kube-system/extension-apiserver-authentication` ConfigMap that extension API servers read. With `--seed devenv`
also what the project's demo needs: the `openshift-mtv` namespace with Forklift's `host` Provider, three amd64
worker Nodes in us-east-1c, the EBS and Ceph StorageClasses, and the `kube-system/aws-creds` Secret when AWS keys
are given.
"""

import base64

from .api import PERMANENT_NAMESPACES, internal_options
from .clock import now_rfc3339

WORKERS = 3
ZONE, REGION = "us-east-1c", "us-east-1"


def _namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name,
                                                                 "labels": {"kubernetes.io/metadata.name": name}}}


def _node(index):
    name = f"worker-{index}"
    resources = {"cpu": "16", "memory": "65536Mi", "pods": "250", "ephemeral-storage": "120Gi",
                 "devices.kubevirt.io/kvm": "1k"}
    now = now_rfc3339()
    pressure = [{"type": t, "status": "False", "reason": f"KubeletHas{r}", "message": m, "lastHeartbeatTime": now,
                 "lastTransitionTime": now}
                for t, r, m in (("MemoryPressure", "SufficientMemory", "kubelet has sufficient memory available"),
                                ("DiskPressure", "NoDiskPressure", "kubelet has no disk pressure"),
                                ("PIDPressure", "SufficientPID", "kubelet has sufficient PID available"))]
    ready = {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
             "lastHeartbeatTime": now, "lastTransitionTime": now}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "node-role.kubernetes.io/worker": "", "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
            "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": ZONE,
            "topology.kubernetes.io/region": REGION, "node.kubernetes.io/instance-type": "m5.metal",
            "kubevirt.io/schedulable": "true"}},
        "spec": {"providerID": f"aws:///{ZONE}/i-0fake0000000000{index:02d}"},
        "status": {
            "capacity": resources, "allocatable": dict(resources), "conditions": pressure + [ready],
            "addresses": [{"type": "InternalIP", "address": f"10.0.1.{10 + index}"},
                          {"type": "Hostname", "address": name}],
            "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": "v1.32.4",
                         "kubeProxyVersion": "v1.32.4", "containerRuntimeVersion": "cri-o://1.32.4",
                         "osImage": "Red Hat Enterprise Linux CoreOS", "kernelVersion": "5.14.0",
                         "machineID": f"fake{index}", "systemUUID": f"fake{index}", "bootID": f"fake{index}"}},
    }


def _storage_class(name, provisioner, parameters, binding="WaitForFirstConsumer", default=False):
    meta = {"name": name}
    if default:
        meta["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": meta,
            "provisioner": provisioner, "parameters": parameters, "reclaimPolicy": "Delete",
            "volumeBindingMode": binding, "allowVolumeExpansion": True}


def _host_provider():
    now = now_rfc3339()

    def condition(kind, message, reason=None):
        found = {"type": kind, "status": "True", "category": "Required", "message": message,
                 "lastTransitionTime": now}
        if reason:
            found["reason"] = reason
        return found

    return {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
            "metadata": {"name": "host", "namespace": "openshift-mtv"},
            "spec": {"type": "openshift", "url": "", "secret": {}},
            "status": {"phase": "Ready", "observedGeneration": 1, "conditions": [
                condition("ConnectionTestSucceeded", "Connection test, succeeded.", "Tested"),
                condition("InventoryCreated", "The inventory has been loaded.", "Completed"),
                condition("Validated", "Validation has been completed.", "Completed"),
                condition("Ready", "The provider is ready.")]}}


def devenv_objects(aws_access_key_id=None, aws_secret_access_key=None):
    """(resource key, object) pairs of the devenv seed, in creation order."""
    objects = [("/namespaces", _namespace("openshift-mtv"))]
    objects += [("/nodes", _node(i)) for i in range(WORKERS)]
    objects += [
        ("storage.k8s.io/storageclasses", _storage_class("gp3-csi", "ebs.csi.aws.com", {"type": "gp3"},
                                                         default=True)),
        ("storage.k8s.io/storageclasses", _storage_class("gp2-csi", "ebs.csi.aws.com", {"type": "gp2"})),
        ("storage.k8s.io/storageclasses", _storage_class(
            "ocs-storagecluster-ceph-rbd", "openshift-storage.rbd.csi.ceph.com",
            {"clusterID": "openshift-storage", "pool": "ocs-storagecluster-cephblockpool",
             "imageFeatures": "layering", "csi.storage.k8s.io/fstype": "ext4"}, binding="Immediate")),
        ("forklift.konveyor.io/providers", _host_provider()),
    ]
    if aws_access_key_id and aws_secret_access_key:
        data = {"aws_access_key_id": aws_access_key_id, "aws_secret_access_key": aws_secret_access_key}
        objects.append(("/secrets", {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "aws-creds", "namespace": "kube-system"},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}))
    return objects


def seed(api, crds, profile, aws_access_key_id=None, aws_secret_access_key=None, authentication=None):
    """Create the permanent namespaces, the CRDs, the extension-apiserver-authentication ConfigMap (from its
    `authentication` data, if any), and the objects of `profile` ("devenv" or "none")."""
    registry = api.registry
    objects = [("/namespaces", _namespace(n)) for n in PERMANENT_NAMESPACES]
    objects += [("apiextensions.k8s.io/customresourcedefinitions", crd) for crd in crds]
    if authentication:
        objects.append(("/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "data": authentication, "metadata": {
            "name": "extension-apiserver-authentication", "namespace": "kube-system"}}))
    if profile == "devenv":
        objects += devenv_objects(aws_access_key_id, aws_secret_access_key)
    for key, obj in objects:
        rt = registry.by_key(key)
        api.create(rt, obj["metadata"].get("namespace", ""), obj, internal_options())
