"""The deployment manifests (deploy/, Containerfile): they parse, grant the least, run locked down, and the CRDs take
every object the upstream Forklift CRDs take.

The CRD checks compare our openAPIV3Schema with the upstream schemas in <repo>/../shared/schemas/forklift three
ways: sample objects (realistic EC2 ones, the smallest valid ones, and a "maximal" one generated from the upstream
schema with every field filled) must validate against both and lose no field to pruning; our schema must never be
stricter than upstream's where both describe a field; and it must be a structural schema a real apiserver takes.
The end-to-end test installs the CRDs in the fake API server (`--crd-dir deploy/crds`, which replaces the built-in
Forklift CRDs) and uses the real kubectl.
"""

import copy
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
CRD_DIR = DEPLOY / "crds"
SHARED = REPO.parent / "shared"
UPSTREAM = SHARED / "schemas" / "forklift"
CORE_SCHEMA = SHARED / "schemas" / "core-v1" / "core-v1.32-strict.schema.json"
LAUNCHER = REPO / "scripts" / "fake-kube-apiserver"
KUBECTL = shutil.which("kubectl")

GROUP = "forklift.konveyor.io"
NAMESPACE = "openshift-mtv"
KINDS = {"Provider": "provider", "Plan": "plan", "Migration": "migration", "NetworkMap": "networkmap",
         "StorageMap": "storagemap", "Hook": "hook"}
UPSTREAM_HOOK_CRD = SHARED / "schemas" / "forklift-hooks" / "forklift.konveyor.io_hooks.yaml"
FORMATS = jsonschema.FormatChecker()


def load_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def crds():
    """Our CRDs by kind."""
    found = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for doc in load_docs(path):
            found[doc["spec"]["names"]["kind"]] = doc
    return found


def served_version(crd):
    (version,) = crd["spec"]["versions"]
    return version


def our_schema(kind):
    return served_version(crds()[kind])["schema"]["openAPIV3Schema"]


def upstream_schema(kind):
    if kind == "Hook":  # the Hook CRD is kept on its own, without a separate JSON schema
        return served_version(upstream_crd(kind))["schema"]["openAPIV3Schema"]
    with open(UPSTREAM / f"{KINDS[kind]}-v1beta1.schema.json", encoding="utf-8") as f:
        return json.load(f)


def upstream_crd(kind):
    (doc,) = load_docs(UPSTREAM_HOOK_CRD if kind == "Hook" else UPSTREAM / f"forklift.konveyor.io_{KINDS[kind]}s.yaml")
    return doc


def errors(schema, obj):
    """Schema violations as readable strings; OpenAPI v3 (CRD) schemas are checked as draft 4, where the
    x-kubernetes-* keys are unknown keywords and so only annotations."""
    validator = jsonschema.Draft4Validator(schema, format_checker=FORMATS)
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(obj)]


def pruned_fields(value, node, path=""):
    """Fields a real apiserver would drop from `value` under the structural schema `node` (pruning): keys that no
    `properties` or `additionalProperties` declares, outside x-kubernetes-preserve-unknown-fields. The root's
    metadata is ObjectMeta, which the apiserver handles itself."""
    dropped = []
    if not path and isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "metadata"}
    if isinstance(value, dict):
        props = node.get("properties") or {}
        extra = node.get("additionalProperties")
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in props:
                dropped += pruned_fields(item, props[key], where)
            elif isinstance(extra, dict):
                dropped += pruned_fields(item, extra, where)
            elif not (extra is True or node.get("x-kubernetes-preserve-unknown-fields")):
                dropped.append(where)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            dropped += pruned_fields(item, node["items"], f"{path}[{i}]")
    return dropped


def assert_accepted(kind, obj):
    """`obj` is valid upstream, valid for our CRD, and keeps all its fields there."""
    assert errors(upstream_schema(kind), obj) == [], "the sample itself must be valid upstream"
    assert errors(our_schema(kind), obj) == []
    assert pruned_fields(obj, our_schema(kind)) == []


# --- sample objects ---------------------------------------------------------------------------------------------

NOW = "2026-05-04T10:15:00Z"


def condition(kind, status="True", category="Required", reason=None, message=None):
    found = {"type": kind, "status": status, "category": category, "lastTransitionTime": NOW,
             "message": message or f"{kind}."}
    if reason:
        found["reason"] = reason
    return found


def ref(name, namespace="demo"):
    return {"name": name, "namespace": namespace}


def provider_sample():
    return {"apiVersion": f"{GROUP}/v1beta1", "kind": "Provider",
            "metadata": {"name": "my-ec2", "namespace": "demo", "labels": {"team": "platform"}},
            "spec": {"type": "ec2", "url": "https://ec2.us-east-1.amazonaws.com",
                     "secret": ref("my-ec2-credentials"),
                     "settings": {"target-az": "us-east-1c", "target-region": "us-east-1"}},
            "status": {"phase": "Ready", "observedGeneration": 1, "fingerprint": "1234567890",
                       "conditions": [condition("ConnectionTestSucceeded", reason="Tested"),
                                      condition("InventoryCreated", reason="Completed"),
                                      condition("Ready", category="Required")]}}


def host_provider_sample():
    """The destination Provider exactly as the controller creates it."""
    return {"apiVersion": f"{GROUP}/v1beta1", "kind": "Provider",
            "metadata": {"name": "host", "namespace": NAMESPACE},
            "spec": {"type": "openshift", "url": "", "secret": {}}}


def plan_sample():
    return {"apiVersion": f"{GROUP}/v1beta1", "kind": "Plan",
            "metadata": {"name": "web-tier", "namespace": "demo"},
            "spec": {"description": "web servers to KubeVirt",
                     "provider": {"source": ref("my-ec2"), "destination": ref("host", NAMESPACE)},
                     "targetNamespace": "web-vms",
                     "map": {"network": ref("web-tier-net"), "storage": ref("web-tier-storage")},
                     "vms": [{"id": "i-0a1b2c3d4e5f60718", "name": "web-1"},
                             {"id": "i-0f1e2d3c4b5a69788", "targetName": "web-2", "targetPowerState": "on",
                              "deleteVmOnFailMigration": False}],
                     "type": "cold", "skipGuestConversion": False, "useCompatibilityMode": True,
                     "skipZoneNodeSelector": False, "targetPowerState": "auto",
                     "convertorNodeSelector": {"topology.kubernetes.io/zone": "us-east-1c"},
                     "targetLabels": {"app": "web"},
                     "pvcNameTemplate": "{{.TargetVmName}}-disk-{{.DiskIndex}}"},
            "status": {"observedGeneration": 2,
                       "conditions": [condition("Ready", message="The migration plan is ready."),
                                      condition("Executing", category="Advisory")],
                       "migration": {"started": NOW, "vms": [
                           {"id": "i-0a1b2c3d4e5f60718", "name": "web-1", "phase": "CreateSnapshots",
                            "started": NOW,
                            "pipeline": [{"name": "Initialize", "phase": "Completed", "description": "Initialize",
                                          "progress": {"total": 1, "completed": 1}},
                                         {"name": "CreateSnapshots", "phase": "Running",
                                          "description": "Snapshot the EBS volumes",
                                          "progress": {"total": 2, "completed": 1}}]}]}}}


def migration_sample():
    return {"apiVersion": f"{GROUP}/v1beta1", "kind": "Migration",
            "metadata": {"name": "web-tier-1", "namespace": "demo"},
            "spec": {"plan": ref("web-tier"), "cancel": [{"id": "i-0f1e2d3c4b5a69788"}]},
            "status": {"observedGeneration": 1, "started": NOW,
                       "conditions": [condition("Ready"), condition("Running", category="Advisory")],
                       "vms": [{"id": "i-0a1b2c3d4e5f60718", "name": "web-1", "phase": "WaitForSnapshots",
                                "started": NOW, "restorePowerState": "On",
                                "pipeline": [{"name": "CreateSnapshots", "phase": "Running",
                                              "description": "Snapshot the EBS volumes",
                                              "progress": {"total": 100, "completed": 40}}]}]}}


def networkmap_sample():
    return {"apiVersion": f"{GROUP}/v1beta1", "kind": "NetworkMap",
            "metadata": {"name": "web-tier-net", "namespace": "demo"},
            "spec": {"provider": {"source": ref("my-ec2"), "destination": ref("host", NAMESPACE)},
                     "map": [{"source": {"id": "subnet-0a1b2c3d"}, "destination": {"type": "pod"}},
                             {"source": {"name": "subnet-1b2c3d4e"},
                              "destination": {"type": "multus", "name": "vlan-20", "namespace": "web-vms"}},
                             {"source": {"id": "subnet-2c3d4e5f"}, "destination": {"type": "ignored"}}]},
            "status": {"observedGeneration": 1, "conditions": [condition("Ready")],
                       "references": [{"id": "subnet-0a1b2c3d", "name": "subnet-0a1b2c3d"}]}}


def storagemap_sample():
    return {"apiVersion": f"{GROUP}/v1beta1", "kind": "StorageMap",
            "metadata": {"name": "web-tier-storage", "namespace": "demo"},
            "spec": {"provider": {"source": ref("my-ec2"), "destination": ref("host", NAMESPACE)},
                     "map": [{"source": {"name": "gp3"}, "destination": {"storageClass": "gp3-csi"}},
                             {"source": {"name": "io2"}, "destination": {
                                 "storageClass": "gp3-csi", "volumeMode": "Block", "accessMode": "ReadWriteOnce"}}]},
            "status": {"observedGeneration": 1, "conditions": [condition("Ready")]}}


def hook_sample():
    return {"apiVersion": f"{GROUP}/v1beta1", "kind": "Hook",
            "metadata": {"name": "quiesce-db", "namespace": "demo"},
            "spec": {"image": "quay.io/konveyor/hook-runner:latest", "serviceAccount": "hook-runner",
                     "deadline": 300, "playbook": "LSBob3N0czogbG9jYWxob3N0CiAgdGFza3M6IFtdCg=="},
            "status": {"observedGeneration": 1, "conditions": [condition("Ready")]}}


SAMPLES = {"Provider": [provider_sample, host_provider_sample], "Plan": [plan_sample],
           "Migration": [migration_sample], "NetworkMap": [networkmap_sample], "StorageMap": [storagemap_sample],
           "Hook": [hook_sample]}


def smallest(kind):
    """The smallest object upstream accepts: the required spec fields only."""
    pair = {"source": ref("src"), "destination": ref("dst")}
    specs = {"Provider": {"type": "ec2", "secret": ref("creds")},
             "Plan": {"provider": pair, "targetNamespace": "t", "map": {"network": ref("n"), "storage": ref("s")},
                      "vms": []},
             "Migration": {"plan": ref("p")},
             "NetworkMap": {"provider": pair, "map": []},
             "StorageMap": {"provider": pair, "map": []},
             "Hook": {}}
    return {"apiVersion": f"{GROUP}/v1beta1", "kind": kind, "metadata": {"name": "small"}, "spec": specs[kind]}


def maximal(node):
    """An object that fills every field `node` declares, with values its constraints allow."""
    if "enum" in node:
        return node["enum"][0]
    if node.get("x-kubernetes-int-or-string"):
        return 1
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        value = {key: maximal(sub) for key, sub in (node.get("properties") or {}).items()}
        if isinstance(node.get("additionalProperties"), dict):
            value["example.com/extra"] = maximal(node["additionalProperties"])
        return value
    if kind == "array":
        return [maximal(node["items"])] if isinstance(node.get("items"), dict) else []
    if kind == "integer":
        return max(node.get("minimum", 1), 1)
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if node.get("format") == "date-time":
        return NOW
    for candidate in ("x", "1", "a1", "abc", "x" * max(node.get("minLength", 1), 1)):
        if re.search(node.get("pattern", ""), candidate) and len(candidate) >= node.get("minLength", 0):
            return candidate
    raise AssertionError(f"no sample string for {node}")


def maximal_object(kind):
    obj = maximal(upstream_schema(kind))
    obj.update({"apiVersion": f"{GROUP}/v1beta1", "kind": kind, "metadata": {"name": "everything"}})
    return obj


# --- manifests parse ----------------------------------------------------------------------------------------------

MANIFESTS = sorted(CRD_DIR.glob("*.yaml")) + [DEPLOY / "rbac.yaml", DEPLOY / "deployment.yaml",
                                              DEPLOY / "apiservice.yaml", DEPLOY / "route.yaml"]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_manifest_parses_into_named_objects(path):
    docs = load_docs(path)
    assert docs
    for doc in docs:
        assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), doc
        assert doc["metadata"].get("name"), doc


def test_crd_folder_holds_the_six_kinds():
    assert set(crds()) == set(KINDS)
    assert sorted(p.name for p in CRD_DIR.iterdir()) == sorted(f"{stem}s.yaml" for stem in KINDS.values())


def test_containerfile_is_a_two_stage_static_build_running_as_non_root():
    text = (REPO / "Containerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M)
    assert len(stages) == 2 and stages[0][1] == "build"
    assert re.search(r"swift:6\.\d+", text)
    for product in ("mtv-controller", "kubectl-mtv", "mtv-block-importer"):
        assert re.search(rf"swift build -c release --static-swift-stdlib --product {product}\b", text)
    assert "libsqlite3-0" in text and "ca-certificates" in text and "libsqlite3-dev" in text
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and re.fullmatch(r"[1-9]\d*(:\d+)?", user[-1]), "a numeric, non-root USER"
    assert re.search(r'^ENTRYPOINT \["/usr/local/bin/mtv-controller"\]', text, re.M)
    assert "COPY --from=build" in text


# --- RBAC ---------------------------------------------------------------------------------------------------------

FORKLIFT = ["providers", "plans", "migrations", "networkmaps", "storagemaps"]
READ = {"get", "list", "watch"}
CLUSTER_GRANTS = {
    **{(GROUP, r): READ | {"update", "patch"} for r in FORKLIFT},
    **{(GROUP, f"{r}/status"): {"get", "update", "patch"} for r in FORKLIFT},
    **{(GROUP, f"{r}/finalizers"): {"update"} for r in FORKLIFT},
    ("", "secrets"): READ,
    ("", "namespaces"): READ | {"create"},
    ("", "nodes"): READ,
    ("", "persistentvolumes"): READ | {"create", "delete", "patch"},
    ("", "persistentvolumeclaims"): READ | {"create", "delete", "patch", "update"},
    ("", "pods"): READ | {"create", "delete"},
    ("", "configmaps"): {"get", "create", "delete"},
    ("batch", "jobs"): READ | {"create", "delete"},
    (GROUP, "hooks"): READ,
    ("", "pods/log"): {"get"},
    ("", "events"): {"create", "patch"},
    ("storage.k8s.io", "storageclasses"): READ,
    ("kubevirt.io", "virtualmachines"): READ | {"create", "update", "patch", "delete"},
    ("kubevirt.io", "virtualmachineinstances"): READ,
    ("k8s.cni.cncf.io", "network-attachment-definitions"): READ,
}
# Kubernetes' own roles, bound as aggregated API servers bind them: TokenReview and SubjectAccessReview
# (system:auth-delegator), and the front proxy's configuration in kube-system (extension-apiserver-authentication-reader).
SYSTEM_BINDINGS = {("ClusterRoleBinding", "ClusterRole", "system:auth-delegator", None),
                   ("RoleBinding", "Role", "extension-apiserver-authentication-reader", "kube-system")}
# Only in the controller's namespace: the leader-election Lease, and creating the `host` Provider.
NAMESPACE_GRANTS = {
    ("coordination.k8s.io", "leases"): READ | {"create", "update", "patch"},
    (GROUP, "providers"): {"create"},
}


def rbac_objects():
    return {(d["kind"], d["metadata"]["name"]): d for d in load_docs(DEPLOY / "rbac.yaml")}


def grants(role):
    found = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                found.setdefault((group, resource), set()).update(rule["verbs"])
    return found


def test_rbac_has_no_wildcards_anywhere():
    for doc in load_docs(DEPLOY / "rbac.yaml"):
        for rule in doc.get("rules") or []:
            assert set(rule) <= {"apiGroups", "resources", "verbs"}, rule  # no resourceNames, nonResourceURLs
            for key in ("apiGroups", "resources", "verbs"):
                assert rule[key], rule
                assert not any("*" in value for value in rule[key]), rule
    assert "*" not in (DEPLOY / "rbac.yaml").read_text().replace("# ", "")


def test_cluster_role_grants_exactly_what_the_controller_uses():
    role = rbac_objects()[("ClusterRole", "mtv-controller")]
    assert grants(role) == CLUSTER_GRANTS


def test_namespaced_role_holds_the_lease_and_the_host_provider():
    role = rbac_objects()[("Role", "mtv-controller")]
    assert role["metadata"]["namespace"] == NAMESPACE
    assert grants(role) == NAMESPACE_GRANTS


def test_rbac_covers_the_resource_list_and_nothing_that_escalates():
    resources = {r for _, r in CLUSTER_GRANTS} | {r for _, r in NAMESPACE_GRANTS}
    assert resources == {
        *FORKLIFT, *(f"{r}/status" for r in FORKLIFT), *(f"{r}/finalizers" for r in FORKLIFT), "secrets",
        "namespaces", "nodes", "persistentvolumes", "persistentvolumeclaims", "pods", "pods/log", "events",
        "storageclasses", "virtualmachines", "virtualmachineinstances", "network-attachment-definitions", "leases",
        "hooks", "configmaps", "jobs"}
    for doc in load_docs(DEPLOY / "rbac.yaml"):
        for rule in doc.get("rules") or []:
            assert not {"escalate", "bind", "impersonate", "deletecollection"} & set(rule["verbs"]), rule
            assert "rbac.authorization.k8s.io" not in rule["apiGroups"]


def test_every_rule_says_why_it_exists():
    lines = (DEPLOY / "rbac.yaml").read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("- apiGroups:"):
            assert lines[i - 1].strip().startswith("#"), f"rbac.yaml line {i + 1} has no comment above it"


def test_bindings_tie_the_service_account_to_the_roles():
    objects = rbac_objects()
    account = objects[("ServiceAccount", "mtv-controller")]
    assert account["metadata"]["namespace"] == NAMESPACE
    subject = {"kind": "ServiceAccount", "name": "mtv-controller", "namespace": NAMESPACE}
    ours, system = set(), set()
    for (kind, _), binding in objects.items():
        if kind not in ("ClusterRoleBinding", "RoleBinding"):
            continue
        assert binding["subjects"] == [subject]
        ref = binding["roleRef"]
        assert ref["kind"] == kind.removesuffix("Binding")
        if (ref["kind"], ref["name"]) in objects:
            ours.add((kind, ref["name"]))
            if kind == "RoleBinding":
                assert binding["metadata"]["namespace"] == NAMESPACE
        else:
            system.add((kind, ref["kind"], ref["name"], binding["metadata"].get("namespace")))
    assert ours == {("ClusterRoleBinding", "mtv-controller"), ("RoleBinding", "mtv-controller")}
    assert system == SYSTEM_BINDINGS


# --- Deployment and Service -----------------------------------------------------------------------------------------

def deployment_objects():
    return {d["kind"]: d for d in load_docs(DEPLOY / "deployment.yaml")}


def controller_container():
    (container,) = deployment_objects()["Deployment"]["spec"]["template"]["spec"]["containers"]
    return container


def test_namespace_is_declared_identically_in_both_files():
    (in_rbac,) = [d for d in load_docs(DEPLOY / "rbac.yaml") if d["kind"] == "Namespace"]
    assert in_rbac == deployment_objects()["Namespace"]
    assert in_rbac["metadata"]["name"] == NAMESPACE
    # rbac.yaml is applied first, so its Namespace must come before the namespaced objects in it.
    assert load_docs(DEPLOY / "rbac.yaml")[0]["kind"] == "Namespace"
    assert load_docs(DEPLOY / "deployment.yaml")[0]["kind"] == "Namespace"


def test_deployment_runs_two_leader_elected_replicas():
    deployment = deployment_objects()["Deployment"]
    assert deployment["metadata"]["namespace"] == NAMESPACE
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert pod["spec"]["serviceAccountName"] == "mtv-controller"
    container = controller_container()
    assert container["args"] == ["--listen", "0.0.0.0:8443", "--tls-cert-file", f"{SERVING_CERT}/tls.crt",
                                 "--tls-private-key-file", f"{SERVING_CERT}/tls.key", "--leader-elect",
                                 "--inventory-db", "/var/lib/mtv/inventory.db"]
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}


def test_deployment_probes_resources_and_inventory_volume():
    container = controller_container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"inventory": 8443}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert container[probe]["httpGet"]["path"] == path
        assert container[probe]["httpGet"]["scheme"] == "HTTPS"
        assert ports[container[probe]["httpGet"]["port"]] == 8443
    for key in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][key])
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment_objects()["Deployment"]["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes[mounts["/var/lib/mtv"]]
    assert "emptyDir" in volumes[mounts["/tmp"]], "a writable /tmp, since the root filesystem is read-only"


SERVING_CERT = "/var/run/secrets/serving-cert"


def test_https_with_the_service_ca_secret_and_the_apiservice_in_front():
    objects = deployment_objects()
    service = objects["Service"]
    secret = service["metadata"]["annotations"]["service.beta.openshift.io/serving-cert-secret-name"]
    mounts = {m["mountPath"]: m for m in controller_container()["volumeMounts"]}
    volumes = {v["name"]: v for v in objects["Deployment"]["spec"]["template"]["spec"]["volumes"]}
    mount = mounts[SERVING_CERT]
    assert mount["readOnly"] is True and volumes[mount["name"]]["secret"]["secretName"] == secret
    docs = {d["kind"]: d for d in load_docs(DEPLOY / "apiservice.yaml") + load_docs(DEPLOY / "route.yaml")}
    api = docs["APIService"]
    assert api["metadata"]["name"] == f"{api['spec']['version']}.{api['spec']['group']}"
    assert api["spec"]["group"] == "inventory.forklift.konveyor.io" and api["spec"]["version"] == "v1beta1"
    assert api["spec"]["service"] == {"namespace": NAMESPACE, "name": service["metadata"]["name"],
                                      "port": service["spec"]["ports"][0]["port"]}
    assert "insecureSkipTLSVerify" not in api["spec"]
    assert api["metadata"]["annotations"]["service.beta.openshift.io/inject-cabundle"] == "true"
    route = docs["Route"]
    assert route["metadata"]["labels"] == {"app": "forklift", "service": "forklift-inventory"}
    assert route["metadata"]["namespace"] == NAMESPACE and route["spec"]["tls"]["termination"] == "reencrypt"


def test_deployment_security_context_is_restricted():
    pod = deployment_objects()["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "runAsUser" not in pod["securityContext"], "OpenShift's restricted SCC assigns the UID"
    context = controller_container()["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not context.get("privileged")
    assert not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))


def test_deployment_pod_template_is_a_valid_pod():
    with open(CORE_SCHEMA, encoding="utf-8") as f:
        defs = json.load(f)["$defs"]
    template = deployment_objects()["Deployment"]["spec"]["template"]
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {**template["metadata"], "name": "mtv-controller-0", "namespace": NAMESPACE},
           "spec": template["spec"]}
    validator = jsonschema.Draft202012Validator({"$ref": "#/$defs/kind:Pod", "$defs": defs})
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(pod)] == []


def test_inventory_service_reaches_the_controller_port():
    objects = deployment_objects()
    service = objects["Service"]
    assert service["metadata"] == {**service["metadata"], "name": "mtv-inventory", "namespace": NAMESPACE}
    (port,) = service["spec"]["ports"]
    assert port["port"] == 8443
    assert port["targetPort"] in {p["name"] for p in controller_container()["ports"]}
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


# --- CRDs: shape, printer columns, structural schema -----------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_crd_names_scope_version_and_status(kind):
    crd = crds()[kind]
    plural = f"{KINDS[kind]}s"
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["metadata"]["name"] == f"{plural}.{GROUP}"
    spec = crd["spec"]
    assert spec["group"] == GROUP and spec["scope"] == "Namespaced"
    names = spec["names"]
    assert (names["kind"], names["plural"], names["singular"], names["listKind"]) == (
        kind, plural, KINDS[kind], f"{kind}List")
    assert "forklift" in names["categories"] and "all" not in names["categories"]
    assert names.get("shortNames")
    version = served_version(crd)
    assert (version["name"], version["served"], version["storage"]) == ("v1beta1", True, True)
    assert version["subresources"] == {"status": {}}


def test_short_names_are_unique_and_not_upstream_names():
    short = [s for crd in crds().values() for s in crd["spec"]["names"]["shortNames"]]
    assert len(short) == len(set(short))
    assert not set(short) & ({f"{stem}s" for stem in KINDS.values()} | set(KINDS.values()))


EXPECTED_COLUMNS = {
    "Provider": ["TYPE", "STATUS", "READY", "CONNECTED", "INVENTORY", "URL", "AGE"],
    "Plan": ["READY", "EXECUTING", "SUCCEEDED", "FAILED", "SOURCE", "TARGET-NAMESPACE", "AGE"],
    "Migration": ["PLAN", "READY", "RUNNING", "SUCCEEDED", "FAILED", "STARTED", "COMPLETED", "AGE"],
    "NetworkMap": ["READY", "SOURCE", "DESTINATION", "AGE"],
    "StorageMap": ["READY", "SOURCE", "DESTINATION", "AGE"],
    "Hook": ["READY", "IMAGE", "DEADLINE", "AGE"],
}
JSONPATH = re.compile(r"^(?:\.[A-Za-z][A-Za-z0-9_-]*|\[\?\(@\.type=='[A-Za-z]+'\)\])+$")


@pytest.mark.parametrize("kind", KINDS)
def test_printer_columns(kind):
    columns = served_version(crds()[kind])["additionalPrinterColumns"]
    assert [c["name"] for c in columns] == EXPECTED_COLUMNS[kind]
    for column in columns:
        assert column["type"] in {"string", "integer", "number", "boolean", "date"}
        assert JSONPATH.match(column["jsonPath"]), column
        if column["jsonPath"].startswith(".status.conditions"):
            assert column["jsonPath"].endswith("].status")
    assert columns[-1] == {"name": "AGE", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
    # Everything upstream prints, we print too, from the same place (kubectl shows headers in capitals).
    ours = {c["name"]: c["jsonPath"] for c in columns}
    for column in served_version(upstream_crd(kind))["additionalPrinterColumns"]:
        assert ours.get(column["name"].upper()) == column["jsonPath"], column


ALLOWED_KEYWORDS = {
    "type", "description", "properties", "required", "items", "additionalProperties", "enum", "default",
    "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "nullable",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-map-type", "x-kubernetes-list-type",
    "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource"}
PYTHON_TYPES = {"string": str, "boolean": bool, "integer": int, "number": (int, float), "object": dict,
                "array": list}


def structural_problems(node, path):
    """Breaks of the apiserver's structural-schema rules (and YAML surprises such as `on` read as a boolean)."""
    problems = [f"{path}: keyword {k}" for k in set(node) - ALLOWED_KEYWORDS]
    kind = node.get("type")
    if kind is None and not (node.get("x-kubernetes-int-or-string") or
                             node.get("x-kubernetes-preserve-unknown-fields")):
        problems.append(f"{path}: no type")
    if "properties" in node and "additionalProperties" in node:
        problems.append(f"{path}: properties with additionalProperties")
    if kind in PYTHON_TYPES:
        python_type = PYTHON_TYPES[kind]
        for value in node.get("enum", []) + ([node["default"]] if "default" in node else []):
            if not isinstance(value, python_type) or (kind != "boolean" and isinstance(value, bool)):
                problems.append(f"{path}: {value!r} is not a {kind}")
    if node.get("x-kubernetes-map-type") and kind != "object":
        problems.append(f"{path}: map type on a {kind}")
    for key in node.get("required", []):
        if key not in (node.get("properties") or {}):
            problems.append(f"{path}: required {key} is not declared")
    for key, sub in (node.get("properties") or {}).items():
        problems += structural_problems(sub, f"{path}.{key}")
    if isinstance(node.get("items"), dict):
        problems += structural_problems(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        problems += structural_problems(node["additionalProperties"], f"{path}{{}}")
    return problems


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_structural(kind):
    schema = our_schema(kind)
    assert schema["type"] == "object"
    assert schema["properties"]["metadata"] == {"type": "object"}
    assert set(schema["properties"]) == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert structural_problems(schema, kind) == []


def stricter_than_upstream(ours, upstream, path):
    """Places where `ours` rejects or drops what `upstream` keeps."""
    problems = []
    if ours.get("type") and upstream.get("type") and ours["type"] != upstream["type"]:
        problems.append(f"{path}: type {ours['type']} vs {upstream['type']}")
    extra_required = set(ours.get("required", [])) - set(upstream.get("required", []))
    if extra_required:
        problems.append(f"{path}: also requires {sorted(extra_required)}")
    if "enum" in ours and not set(upstream.get("enum", [object()])) <= set(ours["enum"]):
        problems.append(f"{path}: enum {ours['enum']} vs {upstream.get('enum')}")
    for key in ("pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "format"):
        if key in ours and ours[key] != upstream.get(key):
            problems.append(f"{path}: {key} {ours[key]!r} vs {upstream.get(key)!r}")
    if "default" in ours and ours["default"] != upstream.get("default"):
        problems.append(f"{path}: default {ours['default']!r} vs {upstream.get('default')!r}")
    ours_props, up_props = ours.get("properties") or {}, upstream.get("properties") or {}
    keeps_unknown = ours.get("x-kubernetes-preserve-unknown-fields") or isinstance(
        ours.get("additionalProperties"), dict)
    for key, sub in up_props.items():
        if key in ours_props:
            problems += stricter_than_upstream(ours_props[key], sub, f"{path}.{key}")
        elif not keeps_unknown:
            problems.append(f"{path}.{key}: upstream keeps it, ours prunes it")
    if isinstance(ours.get("items"), dict) and isinstance(upstream.get("items"), dict):
        problems += stricter_than_upstream(ours["items"], upstream["items"], f"{path}[]")
    if isinstance(ours.get("additionalProperties"), dict) and isinstance(upstream.get("additionalProperties"), dict):
        problems += stricter_than_upstream(ours["additionalProperties"], upstream["additionalProperties"],
                                           f"{path}{{}}")
    return problems


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_never_stricter_than_upstream(kind):
    assert stricter_than_upstream(our_schema(kind), upstream_schema(kind), kind) == []


@pytest.mark.parametrize("kind", KINDS)
def test_schema_requires_what_upstream_requires_in_spec(kind):
    assert set(our_schema(kind)["properties"]["spec"].get("required", [])) == set(
        upstream_schema(kind)["properties"]["spec"].get("required", []))


# --- CRDs against the upstream schemas: sample objects --------------------------------------------------------------

@pytest.mark.parametrize("sample", [f for fs in SAMPLES.values() for f in fs], ids=lambda f: f.__name__)
def test_realistic_samples_fit_both_schemas(sample):
    obj = sample()
    assert_accepted(obj["kind"], obj)


@pytest.mark.parametrize("kind", KINDS)
def test_smallest_valid_objects_fit_both_schemas(kind):
    assert_accepted(kind, smallest(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_object_with_every_upstream_field_fits_and_keeps_every_field(kind):
    assert_accepted(kind, maximal_object(kind))


def without(obj, *path):
    obj = copy.deepcopy(obj)
    target = obj
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return obj


def replaced(obj, value, *path):
    obj = copy.deepcopy(obj)
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return obj


REJECTED = [
    ("Provider", lambda: without(provider_sample(), "spec", "secret")),
    ("Provider", lambda: without(provider_sample(), "spec", "type")),
    ("Provider", lambda: replaced(provider_sample(), {"target-az": 3}, "spec", "settings")),
    ("Plan", lambda: without(plan_sample(), "spec", "vms")),
    ("Plan", lambda: without(plan_sample(), "spec", "targetNamespace")),
    ("Plan", lambda: without(plan_sample(), "spec", "map", "storage")),
    ("Plan", lambda: without(plan_sample(), "spec", "provider", "destination")),
    ("Plan", lambda: replaced(plan_sample(), "sometimes", "spec", "vms", 1, "targetPowerState")),
    ("Plan", lambda: replaced(plan_sample(), "yes", "spec", "skipGuestConversion")),
    ("Migration", lambda: without(migration_sample(), "spec", "plan")),
    ("NetworkMap", lambda: replaced(networkmap_sample(), "bridge", "spec", "map", 0, "destination", "type")),
    ("NetworkMap", lambda: without(networkmap_sample(), "spec", "map", 1, "destination", "type")),
    ("StorageMap", lambda: without(storagemap_sample(), "spec", "map", 0, "destination", "storageClass")),
    ("StorageMap", lambda: replaced(storagemap_sample(), "Raw", "spec", "map", 1, "destination", "volumeMode")),
]


@pytest.mark.parametrize("kind,make", REJECTED, ids=lambda v: v if isinstance(v, str) else "")
def test_objects_upstream_rejects_are_rejected_too(kind, make):
    obj = make()
    assert errors(upstream_schema(kind), obj)
    assert errors(our_schema(kind), obj)


# --- end to end: the fake API server and the real kubectl -----------------------------------------------------------

class Server:
    """scripts/fake-kube-apiserver in a subprocess, stopped by its PID."""

    def __init__(self, workdir, *args):
        self.dir = Path(workdir)
        self.port_file, self.kubeconfig = self.dir / "port", self.dir / "kubeconfig"
        self.output = open(self.dir / "server.out", "w")
        self.proc = subprocess.Popen(
            [str(LAUNCHER), "--host", "127.0.0.1", "--port", "0", "--port-file", str(self.port_file),
             "--kubeconfig", str(self.kubeconfig), "--log", str(self.dir / "server.log"), *args],
            stdout=self.output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not self.port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"fake-kube-apiserver did not start: {(self.dir / 'server.out').read_text()}")
            time.sleep(0.05)
        (self.dir / "home").mkdir(exist_ok=True)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.output.close()

    def kubectl(self, *args, input=None):
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.dir / "home")}
        return subprocess.run([KUBECTL, "--cache-dir", str(self.dir / "cache"), *args], input=input,
                              capture_output=True, text=True, env=env, timeout=60)

    def kubectl_ok(self, *args, input=None):
        result = self.kubectl(*args, input=input)
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result.stdout


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if KUBECTL is None:
        if os.environ.get("CI"):
            pytest.fail("kubectl is not installed; CI installs it (.ci/run)")
        pytest.skip("kubectl is not installed")
    server = Server(tmp_path_factory.mktemp("deploy-fakekube"), "--seed", "none", "--crd-dir", str(CRD_DIR),
                    "--schemas", str(SHARED / "schemas"), "--validate-schemas")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def namespace(cluster):
    name = f"demo-{uuid.uuid4().hex[:6]}"
    cluster.kubectl_ok("create", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
    return name


def for_create(obj, namespace):
    """The object as a user would write it: no status, in the test namespace."""
    obj = {k: v for k, v in copy.deepcopy(obj).items() if k != "status"}
    obj["metadata"]["namespace"] = namespace
    return obj


def header(output):
    return output.splitlines()[0].split()


def rows(output):
    """{name: cells} for a one-kind `kubectl get` table; empty cells are kubectl's <none>."""
    lines = output.splitlines()
    starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
    table = {}
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [len(line)])]
        table[cells[0]] = dict(zip(lines[0].split(), cells))
    return table


def test_server_serves_our_crds_instead_of_the_built_in_ones(cluster):
    served = json.loads(cluster.kubectl_ok("get", "crd", "-o", "json"))
    ours = {c["metadata"]["name"]: c for c in served["items"] if c["spec"]["group"] == GROUP}
    assert set(ours) == {c["metadata"]["name"] for c in crds().values()}
    for crd in ours.values():
        assert crd["spec"]["names"]["shortNames"] == crds()[crd["spec"]["names"]["kind"]]["spec"]["names"]["shortNames"]
    out = cluster.kubectl_ok("api-resources", "--api-group", GROUP)
    for short in ("prv", "mplan", "mig", "netmap", "stmap"):
        assert re.search(rf"\b{short}\b", out), out


def test_kubectl_creates_the_samples_and_prints_our_columns(cluster, namespace):
    objects = [for_create(make(), namespace) for make in
               (provider_sample, networkmap_sample, storagemap_sample, plan_sample, migration_sample)]
    host = for_create(host_provider_sample(), namespace)
    out = cluster.kubectl_ok("create", "-f", "-", input=yaml.safe_dump_all([host, *objects]))
    assert out.count("created") == 6, out

    # The controller's view: write the statuses through the status subresource.
    for make, plural in ((provider_sample, "providers"), (plan_sample, "plans"), (migration_sample, "migrations"),
                         (networkmap_sample, "networkmaps")):
        obj = make()
        cluster.kubectl_ok("patch", plural, obj["metadata"]["name"], "-n", namespace, "--subresource=status",
                           "--type=merge", "-p", json.dumps({"status": obj["status"]}))

    out = cluster.kubectl_ok("get", "providers,plans,migrations", "-n", namespace)
    blocks = [b for b in out.strip().split("\n\n") if b.strip()]
    assert [header(b) for b in blocks] == [
        ["NAME", "TYPE", "STATUS", "READY", "CONNECTED", "URL", "AGE"],
        ["NAME", "READY", "EXECUTING", "SUCCEEDED", "FAILED", "AGE"],
        ["NAME", "PLAN", "READY", "RUNNING", "SUCCEEDED", "FAILED", "STARTED", "COMPLETED", "AGE"]], out

    providers = rows(cluster.kubectl_ok("get", "providers", "-n", namespace))
    mine = providers["my-ec2"]
    assert (mine["TYPE"], mine["STATUS"], mine["READY"], mine["CONNECTED"], mine["URL"]) == (
        "ec2", "Ready", "True", "True", "https://ec2.us-east-1.amazonaws.com")
    assert providers["host"]["TYPE"] == "openshift"

    plans = rows(cluster.kubectl_ok("get", "plans", "-n", namespace, "-o", "wide"))
    assert header(cluster.kubectl_ok("get", "plans", "-n", namespace, "-o", "wide")) == [
        "NAME", "READY", "EXECUTING", "SUCCEEDED", "FAILED", "SOURCE", "TARGET-NAMESPACE", "AGE"]
    plan = plans["web-tier"]
    assert (plan["READY"], plan["EXECUTING"], plan["SOURCE"], plan["TARGET-NAMESPACE"]) == (
        "True", "True", "my-ec2", "web-vms")

    migration = rows(cluster.kubectl_ok("get", "migrations", "-n", namespace))["web-tier-1"]
    assert (migration["PLAN"], migration["READY"], migration["RUNNING"]) == ("web-tier", "True", "True")
    assert re.fullmatch(r"\d+[smhdy].*", migration["STARTED"]), migration
    assert migration["COMPLETED"] in ("", "<none>")

    maps = cluster.kubectl_ok("get", "networkmaps,storagemaps", "-n", namespace)
    assert maps.count("READY   SOURCE   DESTINATION") == 2, maps
    assert rows(cluster.kubectl_ok("get", "netmap", "-n", namespace))["web-tier-net"]["READY"] == "True"


def test_short_names_and_the_forklift_category_work(cluster, namespace):
    cluster.kubectl_ok("create", "-f", "-", input=yaml.safe_dump(
        for_create(smallest("StorageMap"), namespace) | {"metadata": {"name": "by-short", "namespace": namespace}}))
    assert "by-short" in cluster.kubectl_ok("get", "stmap", "-n", namespace)
    out = cluster.kubectl_ok("get", "forklift", "-n", namespace, "-o", "name")
    assert f"storagemap.{GROUP}/by-short" in out.splitlines(), out


@pytest.mark.parametrize("kind", KINDS)
def test_kubectl_creates_an_object_with_every_upstream_field(cluster, namespace, kind):
    """kubectl asks for strict field validation, so a field our schema would prune fails the create."""
    obj = for_create(maximal_object(kind), namespace)
    obj["metadata"]["name"] = f"everything-{KINDS[kind]}"
    cluster.kubectl_ok("create", "-f", "-", input=yaml.safe_dump(obj))
    stored = json.loads(cluster.kubectl_ok("get", f"{KINDS[kind]}s", obj["metadata"]["name"], "-n", namespace,
                                           "-o", "json"))
    assert stored["spec"] == obj["spec"]


def test_kubectl_rejects_a_plan_without_vms(cluster, namespace):
    obj = for_create(without(plan_sample(), "spec", "vms"), namespace)
    obj["metadata"]["name"] = "no-vms"
    result = cluster.kubectl("create", "-f", "-", input=yaml.safe_dump(obj))
    assert result.returncode != 0
    assert "vms" in result.stderr, result.stderr


def test_kubectl_applies_the_crds(cluster):
    out = cluster.kubectl_ok("apply", "-f", str(CRD_DIR))
    assert len(out.strip().splitlines()) == len(KINDS), out


def stub_crd(group, kind, plural, namespaced=True):
    """A schemaless CRD, so that the fake server (which has no apps or RBAC kinds) stores Deployments and roles."""
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": "Namespaced" if namespaced else "Cluster",
                     "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                         "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


def test_the_readme_apply_command_works_in_its_order(tmp_path):
    """`kubectl apply -f deploy/crds/ -f deploy/rbac.yaml -f deploy/deployment.yaml` on an empty cluster: the
    namespace exists before its ServiceAccount, and the repeated Namespace is merely unchanged."""
    if KUBECTL is None:
        if os.environ.get("CI"):
            pytest.fail("kubectl is not installed; CI installs it (.ci/run)")
        pytest.skip("kubectl is not installed")
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    rbac = "rbac.authorization.k8s.io"
    for crd in (stub_crd("apps", "Deployment", "deployments"), stub_crd(rbac, "Role", "roles"),
                stub_crd(rbac, "RoleBinding", "rolebindings"),
                stub_crd(rbac, "ClusterRole", "clusterroles", namespaced=False),
                stub_crd(rbac, "ClusterRoleBinding", "clusterrolebindings", namespaced=False)):
        (stubs / f"{crd['metadata']['name']}.json").write_text(json.dumps(crd))
    server = Server(tmp_path, "--seed", "none", "--crd-dir", str(CRD_DIR), "--crd-dir", str(stubs))
    try:
        command = ["apply", "-f", str(CRD_DIR), "-f", str(DEPLOY / "rbac.yaml"), "-f", str(DEPLOY / "deployment.yaml")]
        out = server.kubectl_ok(*command)
        assert re.search(r"^namespace/openshift-mtv created\n(?:.*\n)*serviceaccount/mtv-controller created$", out,
                         re.M), out
        assert "namespace/openshift-mtv unchanged" in out
        for name in ("deployment.apps/mtv-controller created", "service/mtv-inventory created",
                     f"clusterrole.{rbac}/mtv-controller created", f"role.{rbac}/mtv-controller created"):
            assert name in out, out
        again = server.kubectl_ok(*command)
        assert all(line.endswith("unchanged") for line in again.splitlines()), again
        deployment = json.loads(server.kubectl_ok("get", "deployment.apps/mtv-controller", "-n", NAMESPACE,
                                                  "-o", "json"))
        assert deployment["spec"]["replicas"] == 2
    finally:
        server.stop()
