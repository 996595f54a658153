"""kubectl against the fake: discovery, the everyday verbs, and the errors kubectl users see (§1 of k8s-target.md).

No command here passes --validate: kubectl's default strict validation must work through /openapi/v3.
"""

import base64
import json

PLAN = """apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata:
  name: {name}
  namespace: {ns}
spec:
  provider:
    source: {{name: ec2, namespace: {ns}}}
    destination: {{name: host, namespace: openshift-mtv}}
  targetNamespace: {target}
  map:
    network: {{name: nm, namespace: {ns}}}
    storage: {{name: sm, namespace: {ns}}}
  vms:
  - id: i-0123456789abcdef0
"""

VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: web}}
spec:
  runStrategy: {strategy}
  template:
    spec:
      domain:
        cpu: {{cores: 2}}
        devices:
          disks: [{{name: root, disk: {{bus: virtio}}}}]
        resources: {{requests: {{memory: 2Gi}}}}
      volumes: [{{name: root, persistentVolumeClaim: {{claimName: root-pvc}}}}]
"""


def plan_yaml(ns, name="plan1", target="demo"):
    return PLAN.format(ns=ns, name=name, target=target)


def test_api_resources_lists_every_kind_once_with_short_names(kube):
    out = kube.kubectl_ok("api-resources")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    for name in ("plans", "providers", "migrations", "networkmaps", "storagemaps", "virtualmachines",
                 "virtualmachineinstances", "network-attachment-definitions", "persistentvolumeclaims",
                 "storageclasses", "leases", "customresourcedefinitions", "tokenreviews"):
        assert name in rows, name
    assert rows["virtualmachines"][1] == "vm,vms"
    assert rows["virtualmachineinstances"][1] == "vmi,vmis"
    assert rows["network-attachment-definitions"][1] == "net-attach-def"
    assert rows["persistentvolumes"][1:] == ["pv", "v1", "false", "PersistentVolume"]
    assert not any("/" in name for name in rows), "subresources must not be listed as resources"


def test_get_nodes_and_storage_classes_from_the_devenv_seed(kube):
    out = kube.kubectl_ok("get", "nodes,sc")
    rows = [line.split() for line in out.splitlines()]
    for node in ("worker-0", "worker-1", "worker-2"):
        assert [f"node/{node}", "Ready", "worker"] in [r[:3] for r in rows]
    assert ["storageclass.storage.k8s.io/gp3-csi", "(default)", "ebs.csi.aws.com", "Delete",
            "WaitForFirstConsumer"] in [r[:5] for r in rows]
    assert ["storageclass.storage.k8s.io/ocs-storagecluster-ceph-rbd", "openshift-storage.rbd.csi.ceph.com"] in \
        [r[:2] for r in rows]
    labels = json.loads(kube.kubectl_ok("get", "node", "worker-1", "-o", "json"))["metadata"]["labels"]
    assert labels["topology.kubernetes.io/zone"] == "us-east-1c"
    assert labels["node-role.kubernetes.io/worker"] == ""
    secret = json.loads(kube.kubectl_ok("get", "secret", "aws-creds", "-n", "kube-system", "-o", "json"))
    assert base64.b64decode(secret["data"]["aws_secret_access_key"]).decode() == "secret/key+value"


def test_get_vm_by_short_name_gives_no_subresource_warning(kube, ns):
    kube.kubectl_ok("create", "-f", "-", input=VM.format(ns=ns, name="vm1", strategy="Halted"))
    result = kube.kubectl("get", "vm", "-n", ns)
    assert result.returncode == 0 and "vm1" in result.stdout
    assert result.stderr == ""


def test_create_secret_with_string_data_stores_base64_data(kube, ns):
    manifest = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: ec2-creds\n  namespace: {ns}\n" \
               f"stringData:\n  region: us-east-1\n  accessKeyId: AKID\n"
    assert kube.kubectl_ok("create", "-f", "-", input=manifest).strip() == "secret/ec2-creds created"
    secret = json.loads(kube.kubectl_ok("get", "secret", "ec2-creds", "-n", ns, "-o", "json"))
    assert "stringData" not in secret
    assert {k: base64.b64decode(v).decode() for k, v in secret["data"].items()} == {
        "region": "us-east-1", "accessKeyId": "AKID"}
    meta = secret["metadata"]
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z") and int(meta["resourceVersion"]) > 0


def test_create_plan_vm_and_pvc_with_default_validation(kube, ns):
    pvc = f"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: root-pvc\n  namespace: {ns}\n" \
          f"spec:\n  accessModes: [ReadWriteOnce]\n  volumeMode: Block\n  storageClassName: gp3-csi\n" \
          f"  resources:\n    requests:\n      storage: 10Gi\n"
    out = kube.kubectl_ok("create", "-f", "-", input="---\n".join([plan_yaml(ns), VM.format(
        ns=ns, name="web01", strategy="Halted"), pvc]))
    assert out.splitlines() == ["plan.forklift.konveyor.io/plan1 created",
                                "virtualmachine.kubevirt.io/web01 created", "persistentvolumeclaim/root-pvc created"]
    plan = json.loads(kube.kubectl_ok("get", "plan", "plan1", "-n", ns, "-o", "json"))
    assert plan["metadata"]["generation"] == 1 and plan["spec"]["targetNamespace"] == "demo"


def test_unknown_field_is_rejected_by_default_kubectl_create(kube, ns):
    err = kube.kubectl_fails("create", "-f", "-", input=plan_yaml(ns).replace("targetNamespace", "targetNamspace"))
    assert 'strict decoding error: unknown field "spec.targetNamspace"' in err
    assert "Error from server (BadRequest)" in err
    assert "No resources found" in kube.kubectl("get", "plans", "-n", ns).stderr


def test_apply_twice_then_replace(kube, ns):
    assert kube.kubectl_ok("apply", "-f", "-", input=plan_yaml(ns)).strip() == \
        "plan.forklift.konveyor.io/plan1 created"
    assert kube.kubectl_ok("apply", "-f", "-", input=plan_yaml(ns, target="other")).strip() == \
        "plan.forklift.konveyor.io/plan1 configured"
    assert kube.kubectl_ok("apply", "-f", "-", input=plan_yaml(ns, target="other")).strip() == \
        "plan.forklift.konveyor.io/plan1 unchanged"
    plan = json.loads(kube.kubectl_ok("get", "plan", "plan1", "-n", ns, "-o", "json"))
    assert plan["spec"]["targetNamespace"] == "other" and plan["metadata"]["generation"] == 2
    assert "kubectl.kubernetes.io/last-applied-configuration" in plan["metadata"]["annotations"]
    assert kube.kubectl_ok("replace", "-f", "-", input=plan_yaml(ns, target="third")).strip() == \
        "plan.forklift.konveyor.io/plan1 replaced"
    assert kube.kubectl_ok("get", "plan", "plan1", "-n", ns, "-o", "jsonpath={.spec.targetNamespace}") == "third"


def test_apply_of_a_core_kind_uses_strategic_merge(kube, ns):
    pod = f"""apiVersion: v1
kind: Pod
metadata: {{name: sidecar, namespace: {ns}}}
spec:
  restartPolicy: Never
  containers:
  - {{name: main, image: busybox, env: [{{name: A, value: "1"}}]}}
  - {{name: helper, image: busybox}}
"""
    kube.kubectl_ok("apply", "-f", "-", input=pod)
    out = kube.kubectl_ok("apply", "-f", "-", input=pod.replace('value: "1"', 'value: "2"'))
    assert out.strip() == "pod/sidecar configured"
    spec = json.loads(kube.kubectl_ok("get", "pod", "sidecar", "-n", ns, "-o", "json"))["spec"]
    assert [c["name"] for c in spec["containers"]] == ["main", "helper"]
    assert spec["containers"][0]["env"] == [{"name": "A", "value": "2"}]


def test_patch_merge_json_and_strategic_on_a_custom_resource(kube, ns):
    kube.kubectl_ok("create", "-f", "-", input=plan_yaml(ns))
    kube.kubectl_ok("patch", "plan", "plan1", "-n", ns, "--type", "merge", "-p",
                    '{"spec":{"targetNamespace":"merged","description":"d"}}')
    kube.kubectl_ok("patch", "plan", "plan1", "-n", ns, "--type", "json", "-p",
                    '[{"op":"test","path":"/spec/targetNamespace","value":"merged"},'
                    '{"op":"remove","path":"/spec/description"},'
                    '{"op":"add","path":"/spec/vms/-","value":{"id":"i-2"}}]')
    spec = json.loads(kube.kubectl_ok("get", "plan", "plan1", "-n", ns, "-o", "json"))["spec"]
    assert "description" not in spec and [v["id"] for v in spec["vms"]] == ["i-0123456789abcdef0", "i-2"]
    err = kube.kubectl_fails("patch", "plan", "plan1", "-n", ns, "--type", "json", "-p",
                             '[{"op":"test","path":"/spec/targetNamespace","value":"wrong"}]')
    assert "The request is invalid" in err and "test failed" in err
    err = kube.kubectl_fails("patch", "plan", "plan1", "-n", ns, "-p", '{"spec":{"targetNamespace":"x"}}')
    assert "application/strategic-merge-patch+json is not supported" in err


def test_label_annotate_label_selector_and_field_selector(kube, ns):
    for name in ("a", "b", "c"):
        kube.kubectl_ok("create", "-f", "-", input=plan_yaml(ns, name=name))
    kube.kubectl_ok("label", "plan", "a", "b", "-n", ns, "tier=gold")
    kube.kubectl_ok("label", "plan", "c", "-n", ns, "tier=silver")
    kube.kubectl_ok("annotate", "plan", "a", "-n", ns, "note=hello")

    def names(*selector):
        return kube.kubectl_ok("get", "plans", "-n", ns, *selector, "-o", "name").split()

    assert names("-l", "tier=gold") == ["plan.forklift.konveyor.io/a", "plan.forklift.konveyor.io/b"]
    assert names("-l", "tier notin (gold)") == ["plan.forklift.konveyor.io/c"]
    assert names("-l", "!tier") == []
    assert names("--field-selector", "metadata.name=b") == ["plan.forklift.konveyor.io/b"]
    assert names("--field-selector", "metadata.name!=b", "-l", "tier") == ["plan.forklift.konveyor.io/a",
                                                                            "plan.forklift.konveyor.io/c"]
    err = kube.kubectl_fails("get", "plans", "-n", ns, "--field-selector", "spec.targetNamespace=demo")
    assert '"spec.targetNamespace" is not a known field selector' in err
    plan = json.loads(kube.kubectl_ok("get", "plan", "a", "-n", ns, "-o", "json"))
    assert plan["metadata"]["annotations"]["note"] == "hello"
    assert plan["metadata"]["generation"] == 1, "metadata-only changes must not bump generation"


def test_delete_and_not_found_message(kube, ns):
    kube.kubectl_ok("create", "-f", "-", input=VM.format(ns=ns, name="gone", strategy="Halted"))
    assert kube.kubectl_ok("delete", "vm", "gone", "-n", ns).strip() == \
        'virtualmachine.kubevirt.io "gone" deleted'
    err = kube.kubectl_fails("get", "vm", "gone", "-n", ns)
    assert 'Error from server (NotFound): virtualmachines.kubevirt.io "gone" not found' in err


def test_stale_update_is_a_conflict(kube, ns):
    kube.kubectl_ok("create", "-f", "-", input=plan_yaml(ns))
    stale = kube.kubectl_ok("get", "plan", "plan1", "-n", ns, "-o", "yaml")
    kube.kubectl_ok("patch", "plan", "plan1", "-n", ns, "--type", "merge", "-p", '{"spec":{"description":"new"}}')
    err = kube.kubectl_fails("replace", "-f", "-", input=stale)
    assert ('Operation cannot be fulfilled on plans.forklift.konveyor.io "plan1": the object has been modified; '
            'please apply your changes to the latest version and try again') in err


def test_generate_name_gets_a_random_suffix(kube, ns):
    manifest = plan_yaml(ns).replace("  name: plan1\n", "  generateName: plan-\n")
    first = kube.kubectl_ok("create", "-f", "-", input=manifest).split()[0]
    second = kube.kubectl_ok("create", "-f", "-", input=manifest).split()[0]
    for created in (first, second):
        name = created.split("/")[1]
        assert name.startswith("plan-") and len(name) == len("plan-") + 5
    assert first != second


def test_chunked_list_follows_continue_tokens(kube, ns):
    for i in range(4):
        kube.kubectl_ok("create", "-f", "-", input=plan_yaml(ns, name=f"p{i}"))
    kube.control("POST", "requests/reset")
    out = kube.kubectl_ok("get", "plans", "-n", ns, "--chunk-size=1", "-o", "name")
    assert out.split() == [f"plan.forklift.konveyor.io/p{i}" for i in range(4)]
    assert kube.control("GET", "requests")["counts"]["list plans.forklift.konveyor.io"] == 4


def test_plan_table_uses_the_crd_printer_columns(kube, ns):
    kube.kubectl_ok("create", "-f", "-", input=plan_yaml(ns))
    kube.kubectl_ok("patch", "plan", "plan1", "-n", ns, "--subresource", "status", "--type", "merge", "-p", json.dumps(
        {"status": {"conditions": [{"type": "Ready", "status": "True", "category": "Required",
                                    "lastTransitionTime": "2026-01-01T00:00:00Z", "message": "ready"},
                                   {"type": "Executing", "status": "True", "category": "Advisory",
                                    "lastTransitionTime": "2026-01-01T00:00:00Z", "message": "running"}]}}))
    header, row = kube.kubectl_ok("get", "plans", "-n", ns).splitlines()
    assert header.split() == ["NAME", "READY", "EXECUTING", "SUCCEEDED", "FAILED", "AGE"]
    assert row.split()[:3] == ["plan1", "True", "True"]
    provider = kube.kubectl_ok("get", "providers", "-n", "openshift-mtv").splitlines()
    assert provider[0].split() == ["NAME", "TYPE", "STATUS", "READY", "CONNECTED", "INVENTORY", "URL", "AGE"]
    assert provider[1].split()[:6] == ["host", "openshift", "Ready", "True", "True", "True"]


def test_typed_generators_send_protobuf(kube, ns):
    assert kube.kubectl_ok("create", "secret", "generic", "s", "--from-literal=a=b", "-n", ns).strip() == \
        "secret/s created"
    assert kube.kubectl_ok("get", "secret", "s", "-n", ns, "-o", "jsonpath={.data.a}") == \
        base64.b64encode(b"b").decode()
    name = f"{ns}-pb"
    assert kube.kubectl_ok("create", "namespace", name).strip() == f"namespace/{name} created"
    assert kube.kubectl_ok("get", "namespace", name, "-o", "jsonpath={.status.phase}") == "Active"
    kube.kubectl_ok("create", "configmap", "cm", "--from-literal=x=y", "--from-literal=z=w", "-n", ns)
    assert json.loads(kube.kubectl_ok("get", "configmap", "cm", "-n", ns, "-o", "json"))["data"] == \
        {"x": "y", "z": "w"}
    kube.kubectl_ok("create", "service", "clusterip", "web", "--tcp=80:8080", "-n", ns)
    assert kube.kubectl_ok("get", "service", "web", "-n", ns, "-o", "jsonpath={.spec.ports[0].targetPort}") == "8080"
    err = kube.kubectl_fails("auth", "whoami")
    assert "no protobuf schema for kind SelfSubjectReview (authentication.k8s.io/v1)" in err


def test_auth_can_i_as_admin(kube):
    assert kube.kubectl_ok("auth", "can-i", "create", "pods").strip() == "yes"
    assert kube.kubectl_ok("auth", "can-i", "delete", "plans.forklift.konveyor.io", "-A").strip() == "yes"
    rows = [line.split() for line in kube.kubectl_ok("auth", "can-i", "--list").splitlines()]
    assert rows[0] == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert ["*.*", "[]", "[]", "[*]"] in rows and ["[*]", "[]", "[*]"] in rows
