"""The server process and its documents: start-up files, seeds, signals, discovery, OpenAPI, schema validation,
extra CRD directories."""

import http.client
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from .conftest import REPO, FakeKube

PLAN_CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: plans.forklift.konveyor.io
spec:
  group: forklift.konveyor.io
  names: {kind: Plan, listKind: PlanList, plural: plans, singular: plan, shortNames: [pl]}
  scope: Namespaced
  versions:
  - name: v1beta1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: TARGET, type: string, jsonPath: .spec.targetNamespace}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


def test_start_files_seed_none_and_sigterm_with_an_open_watch(tmp_path):
    server = FakeKube(tmp_path, "--seed", "none", "--admin-token", "fixed-token")
    try:
        assert server.token == "fixed-token"
        assert server.port_file.read_text().strip() == str(server.port)
        assert (tmp_path / "stdout").read_text().startswith(f"fake-kube-apiserver listening on "
                                                            f"http://127.0.0.1:{server.port}")
        names = [n["metadata"]["name"] for n in server.ok("GET", "/api/v1/namespaces")["items"]]
        assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
        assert server.ok("GET", "/api/v1/nodes")["items"] == []
        assert server.ok("GET", "/apis/forklift.konveyor.io/v1beta1/providers")["items"] == []
        stream = server.watch("/api/v1/namespaces/default/configmaps?watch=true")
        os.kill(server.proc.pid, signal.SIGTERM)
        assert server.proc.wait(timeout=5) == 0
        assert stream.next_event() is None
        stream.close()
    finally:
        server.stop()


def test_discovery_documents(kube):
    core = kube.ok("GET", "/api/v1")
    assert core["groupVersion"] == "v1" and core["kind"] == "APIResourceList"
    by_name = {r["name"]: r for r in core["resources"]}
    assert by_name["pods/log"]["verbs"] == ["get"]
    assert by_name["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert "shortNames" not in by_name["pods/status"] and by_name["pods"]["shortNames"] == ["po"]
    assert by_name["pods"]["categories"] == ["all"] and by_name["pods"]["singularName"] == "pod"
    assert by_name["namespaces"]["namespaced"] is False
    groups = {g["name"]: g for g in kube.ok("GET", "/apis")["groups"]}
    assert groups["kubevirt.io"]["preferredVersion"]["groupVersion"] == "kubevirt.io/v1"
    assert kube.ok("GET", "/apis/forklift.konveyor.io")["versions"][0]["version"] == "v1beta1"
    kubevirt = {r["name"]: r for r in kube.ok("GET", "/apis/kubevirt.io/v1")["resources"]}
    assert kubevirt["virtualmachines"]["shortNames"] == ["vm", "vms"]
    assert kubevirt["virtualmachines"]["categories"] == ["all"]
    assert "shortNames" not in kubevirt["virtualmachines/status"]
    assert kube.ok("GET", "/api")["versions"] == ["v1"]
    assert kube.request("GET", "/apis/nothing.example.com/v1").status == 404


def test_openapi_v3_advertises_field_validation_for_every_kind(kube):
    index = kube.ok("GET", "/openapi/v3")["paths"]
    assert {"api/v1", "apis/forklift.konveyor.io/v1beta1", "apis/kubevirt.io/v1"} <= set(index)
    patchable = set()
    for key, entry in index.items():
        document = kube.ok("GET", entry["serverRelativeURL"])
        for path in document["paths"].values():
            for method, operation in path.items():
                if method in ("patch", "post", "put"):
                    gvk = operation["x-kubernetes-group-version-kind"]
                    assert "fieldValidation" in [p["name"] for p in operation["parameters"]], (key, gvk)
                    if method == "patch":
                        patchable.add(gvk["kind"])
    assert {"Plan", "Provider", "Migration", "NetworkMap", "StorageMap", "VirtualMachine", "Secret", "Pod",
            "PersistentVolumeClaim", "StorageClass", "NetworkAttachmentDefinition", "Lease"} <= patchable
    plan = kube.ok("GET", index["apis/forklift.konveyor.io/v1beta1"]["serverRelativeURL"])
    schema = plan["components"]["schemas"]["io.konveyor.forklift.v1beta1.Plan"]
    assert "targetNamespace" in schema["properties"]["spec"]["properties"]
    assert kube.request("GET", "/openapi/v2").status == 404
    explained = kube.kubectl_ok("explain", "plans.spec.targetNamespace")
    assert "targetNamespace" in explained


def test_table_output_for_built_in_kinds(kube):
    table = kube.ok("GET", "/api/v1/nodes", headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Status", "Roles", "Age", "Version"]
    assert table["rows"][0]["cells"][:3] == ["worker-0", "Ready", "worker"]
    partial = kube.ok("GET", "/api/v1/nodes",
                      headers={"Accept": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"})
    assert partial["kind"] == "PartialObjectMetadataList" and "spec" not in partial["items"][0]


def test_validate_schemas_rejects_invalid_bodies_with_422(tmp_path):
    server = FakeKube(tmp_path, "--seed", "none", "--validate-schemas")
    try:
        plans = "/apis/forklift.konveyor.io/v1beta1/namespaces/default/plans"
        bad = server.request("POST", plans, {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
                                             "metadata": {"name": "p"}, "spec": {"vms": "web01"}})
        assert bad.status == 422 and bad.json["reason"] == "Invalid"
        fields = [c["field"] for c in bad.json["details"]["causes"]]
        assert "spec" in fields and "spec.vms" in fields  # spec.provider is required; vms must be an array
        typo = server.request("POST", plans, {"metadata": {"name": "p"}, "spec": {"targetNamspace": "x"}})
        assert typo.status == 400, "unknown fields are Strict by default for validated kinds"
        vm = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "vm"},
              "spec": {"runStrategy": 5, "template": {"spec": {"domain": {"cpu": {"cores": "two"}, "devices": {}}}}}}
        bad_vm = server.request("POST", "/apis/kubevirt.io/v1/namespaces/default/virtualmachines", vm)
        assert bad_vm.status == 422
        assert {"spec.runStrategy", "spec.template.spec.domain.cpu.cores"} <= {
            c["field"] for c in bad_vm.json["details"]["causes"]}
        pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
               "spec": {"accessModes": "ReadWriteOnce"}}
        assert server.request("POST", "/api/v1/namespaces/default/persistentvolumeclaims", pvc).status == 422
        good = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"a": "b"}}
        assert server.request("POST", "/api/v1/namespaces/default/secrets", good).status == 201
    finally:
        server.stop()


def test_crd_dir_overrides_the_default_crds(tmp_path):
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "plan.yaml").write_text(PLAN_CRD)
    server = FakeKube(tmp_path / "server", "--seed", "none", "--crd-dir", str(crds))
    try:
        server.kubectl_ok("create", "-f", "-", input="apiVersion: forklift.konveyor.io/v1beta1\nkind: Plan\n"
                                                     "metadata: {name: p}\nspec: {targetNamespace: demo, extra: 1}\n")
        header, row = server.kubectl_ok("get", "pl").splitlines()
        assert header.split() == ["NAME", "TARGET"] and row.split() == ["p", "demo"]
        crd = json.loads(server.kubectl_ok("get", "crd", "plans.forklift.konveyor.io", "-o", "json"))
        assert crd["spec"]["names"]["shortNames"] == ["pl"]
        assert "providers.forklift.konveyor.io" in server.kubectl_ok("get", "crd", "-o", "name")
    finally:
        server.stop()


def test_runs_without_pyyaml_and_jsonschema_but_never_validates_without_it(tmp_path, monkeypatch):
    blockers = tmp_path / "blockers"
    blockers.mkdir()
    for module in ("yaml", "jsonschema"):
        (blockers / f"{module}.py").write_text(f"raise ImportError('{module} is blocked for this test')\n")
    monkeypatch.setenv("PYTHONPATH", str(blockers))
    # Validation never turns itself off: asked for without jsonschema, the server refuses to start and says why.
    refused = subprocess.run([sys.executable, str(REPO / "scripts" / "fake-kube-apiserver"), "--port", "0",
                              "--validate-schemas"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "jsonschema package is not importable" in refused.stderr, refused.stderr
    server = FakeKube(tmp_path / "server", "--seed", "devenv")
    try:
        plans = "/apis/forklift.konveyor.io/v1beta1/namespaces/default/plans"
        created = server.request("POST", plans, {"metadata": {"name": "p"}, "spec": {"targetNamespace": "x",
                                                                                   "bogus": 1}})
        assert created.status == 201 and created.json["spec"] == {"targetNamespace": "x"}
        assert "unknown field" in created.headers["Warning"], "pruning needs no third-party package"
        yaml_body = server.request("POST", plans, raw=b"metadata: {name: y}\n",
                                   headers={"Content-Type": "application/yaml"})
        assert yaml_body.status == 415
        assert server.ok("GET", "/apis/forklift.konveyor.io/v1beta1")["resources"][0]["name"] == "migrations"
        assert "PyYAML is not importable" in server.log.read_text()
    finally:
        server.stop()


def test_an_unexpected_exception_is_a_logged_500_status(tmp_path, monkeypatch):
    """In-process, so a fault can be planted in the API layer."""
    monkeypatch.syspath_prepend(str(REPO / "scripts" / "localenv"))
    from fakekube import server as server_module

    app = server_module.App(server_module.parse_args(["--seed", "none"]))
    httpd = server_module.Server(("127.0.0.1", 0), app)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("fakekube").addHandler(handler)

    def explode(*_args, **_kwargs):
        raise RuntimeError("planted bug")

    monkeypatch.setattr(app.api, "get", explode)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", httpd.server_address[1], timeout=5)
        conn.request("GET", "/api/v1/namespaces/default", headers={"Authorization": f"Bearer {app.auth.admin_token}"})
        response = conn.getresponse()
        status = json.loads(response.read())
        assert response.status == 500 and status["reason"] == "InternalError" and status["kind"] == "Status"
        assert "planted bug" not in json.dumps(status), "no stack traces or internals in the answer"
        conn.request("GET", "/version")
        assert conn.getresponse().status == 200, "the connection keeps working"
        assert any(r.exc_info and "planted bug" in str(r.exc_info[1]) for r in records)
    finally:
        logging.getLogger("fakekube").removeHandler(handler)
        httpd.shutdown()
        httpd.server_close()
