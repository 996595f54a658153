"""Object semantics over raw HTTP: metadata, status isolation, conflicts, patches, finalizers, lists, errors."""

import http.client
import json
from urllib.parse import quote

from .conftest import wait_for

PLANS = "/apis/forklift.konveyor.io/v1beta1/namespaces/{ns}/plans"
VMS = "/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachines"
CMS = "/api/v1/namespaces/{ns}/configmaps"


def plan(name, **spec):
    return {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan", "metadata": {"name": name},
            "spec": {"targetNamespace": "demo", "vms": [], **spec}}


def configmap(name, labels=None, **extra):
    meta = {"name": name, **({"labels": labels} if labels else {})}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}, **extra}


def merge(kube, path, body, **kwargs):
    return kube.request("PATCH", path, body, headers={"Content-Type": "application/merge-patch+json"}, **kwargs)


def test_create_fills_metadata_and_global_resource_versions_increase(kube, ns):
    first = kube.ok("POST", CMS.format(ns=ns), configmap("one"))
    second = kube.ok("POST", PLANS.format(ns=ns), plan("two"))
    assert first["metadata"]["namespace"] == ns and second["metadata"]["namespace"] == ns
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    assert first["metadata"]["uid"] != second["metadata"]["uid"]
    listed = kube.ok("GET", CMS.format(ns=ns))
    assert listed["kind"] == "ConfigMapList" and listed["apiVersion"] == "v1"
    assert int(listed["metadata"]["resourceVersion"]) >= int(second["metadata"]["resourceVersion"])


def test_create_twice_is_already_exists_with_details(kube, ns):
    kube.ok("POST", PLANS.format(ns=ns), plan("dup"))
    response = kube.request("POST", PLANS.format(ns=ns), plan("dup"))
    assert response.status == 409
    status = response.json
    assert status["kind"] == "Status" and status["status"] == "Failure" and status["reason"] == "AlreadyExists"
    assert status["message"] == 'plans.forklift.konveyor.io "dup" already exists'
    assert status["details"] == {"name": "dup", "group": "forklift.konveyor.io", "kind": "plans"}


def test_namespace_rules_on_create(kube, ns):
    body = configmap("x")
    body["metadata"]["namespace"] = "elsewhere"
    response = kube.request("POST", CMS.format(ns=ns), body)
    assert response.status == 400 and response.json["reason"] == "BadRequest"
    missing = kube.request("POST", CMS.format(ns="no-such-namespace"), configmap("x"))
    assert missing.status == 404 and missing.json["message"] == 'namespaces "no-such-namespace" not found'
    assert kube.request("GET", f"/api/v1/namespaces/{ns}/nodes").status == 404
    assert kube.request("POST", "/api/v1/configmaps", configmap("x")).status == 405


def test_invalid_names_and_labels_are_422(kube, ns):
    response = kube.request("POST", PLANS.format(ns=ns), plan("Bad_Name"))
    assert response.status == 422 and response.json["reason"] == "Invalid"
    assert response.json["details"]["causes"][0]["field"] == "metadata.name"
    assert "RFC 1123 subdomain" in response.json["message"]
    response = kube.request("POST", CMS.format(ns=ns), configmap("ok", labels={"bad key!": "v"}))
    assert response.status == 422


def test_status_subresource_isolation_both_ways(kube, ns):
    path = PLANS.format(ns=ns)
    created = kube.ok("POST", path, {**plan("iso"), "status": {"conditions": [{"type": "Ready"}]}})
    assert "status" not in created, "status is dropped on create for kinds with a status subresource"
    item = f"{path}/iso"
    patched = merge(kube, f"{item}/status", {"spec": {"targetNamespace": "hacked"},
                                             "status": {"observedGeneration": 1}}).json
    assert patched["status"] == {"observedGeneration": 1} and patched["spec"]["targetNamespace"] == "demo"
    assert patched["metadata"]["generation"] == 1
    main = merge(kube, item, {"spec": {"targetNamespace": "next"}, "status": {"observedGeneration": 9}}).json
    assert main["status"] == {"observedGeneration": 1} and main["spec"]["targetNamespace"] == "next"
    assert main["metadata"]["generation"] == 2
    put = kube.ok("PUT", f"{item}/status", {**main, "status": {"observedGeneration": 2}})
    assert put["status"] == {"observedGeneration": 2} and put["metadata"]["generation"] == 2
    stale = kube.request("PUT", f"{item}/status", {**main, "status": {"observedGeneration": 3}})
    assert stale.status == 409 and stale.json["reason"] == "Conflict"
    assert kube.ok("GET", f"{item}/status")["status"] == {"observedGeneration": 2}


def test_put_conflicts_only_on_a_stale_resource_version(kube, ns):
    item = f"{PLANS.format(ns=ns)}/upd"
    created = kube.ok("POST", PLANS.format(ns=ns), plan("upd"))
    updated = kube.ok("PUT", item, {**created, "spec": {**created["spec"], "targetNamespace": "a"}})
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    stale = kube.request("PUT", item, {**created, "spec": {**created["spec"], "targetNamespace": "b"}})
    assert stale.status == 409
    assert stale.json["message"] == ('Operation cannot be fulfilled on plans.forklift.konveyor.io "upd": the object '
                                     'has been modified; please apply your changes to the latest version and try '
                                     'again')
    unconditional = {**created, "metadata": {"name": "upd"}, "spec": {**created["spec"], "targetNamespace": "c"}}
    assert kube.ok("PUT", item, unconditional)["spec"]["targetNamespace"] == "c"
    noop = kube.ok("PUT", item, unconditional)
    assert noop["metadata"]["resourceVersion"] == kube.ok("GET", item)["metadata"]["resourceVersion"]
    renamed = kube.request("PUT", item, {**unconditional, "metadata": {"name": "other"}})
    assert renamed.status == 400


def test_merge_patch_with_a_stale_resource_version_conflicts(kube, ns):
    item = f"{PLANS.format(ns=ns)}/mp"
    created = kube.ok("POST", PLANS.format(ns=ns), plan("mp"))
    rv = created["metadata"]["resourceVersion"]
    ok = merge(kube, item, {"metadata": {"resourceVersion": rv, "labels": {"a": "1"}}})
    assert ok.status == 200
    stale = merge(kube, item, {"metadata": {"resourceVersion": rv, "labels": {"a": "2"}}})
    assert stale.status == 409
    nulls = merge(kube, item, {"metadata": {"labels": {"a": None}}, "spec": {"vms": [{"id": "i-1"}]}}).json
    assert "a" not in (nulls["metadata"].get("labels") or {}) and nulls["spec"]["vms"] == [{"id": "i-1"}]


def test_json_patch_errors(kube, ns):
    item = f"{PLANS.format(ns=ns)}/jp"
    kube.ok("POST", PLANS.format(ns=ns), plan("jp"))
    headers = {"Content-Type": "application/json-patch+json"}
    failed_test = kube.request("PATCH", item, [{"op": "test", "path": "/spec/targetNamespace", "value": "x"}],
                               headers=headers)
    assert failed_test.status == 422 and failed_test.json["reason"] == "Invalid"
    bad_path = kube.request("PATCH", item, [{"op": "replace", "path": "/spec/nope/deeper", "value": 1}],
                            headers=headers)
    assert bad_path.status == 422
    not_a_patch = kube.request("PATCH", item, {"op": "add"}, headers=headers)
    assert not_a_patch.status == 400
    apply = kube.request("PATCH", item, raw=b"spec: {}", headers={"Content-Type": "application/apply-patch+yaml"})
    assert apply.status == 415 and apply.json["reason"] == "UnsupportedMediaType"
    strategic = kube.request("PATCH", item, {"spec": {}},
                             headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert strategic.status == 415


def test_strategic_merge_patch_on_a_core_kind_merges_lists_by_key(kube, ns):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "smp", "finalizers": ["a/x"]},
           "spec": {"containers": [{"name": "a", "image": "one"}, {"name": "b", "image": "two"}]}}
    kube.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod)
    patched = kube.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/smp", {
        "metadata": {"finalizers": ["b/y"]},
        "spec": {"containers": [{"name": "b", "image": "three"}, {"name": "a", "$patch": "delete"}]}},
        headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert patched["spec"]["containers"] == [{"name": "b", "image": "three"}]
    assert patched["metadata"]["finalizers"] == ["a/x", "b/y"]
    kube.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/smp", {"metadata": {"$deleteFromPrimitiveList/finalizers":
                                                                         ["a/x", "b/y"]}},
            headers={"Content-Type": "application/strategic-merge-patch+json"})


def test_finalizers_delay_deletion_until_removed(kube, ns):
    item = f"{PLANS.format(ns=ns)}/fin"
    body = plan("fin")
    body["metadata"]["finalizers"] = ["forklift.konveyor.io/cleanup"]
    created = kube.ok("POST", PLANS.format(ns=ns), body)
    deleting = kube.ok("DELETE", item)
    assert deleting["metadata"]["deletionTimestamp"]
    assert deleting["metadata"]["generation"] == created["metadata"]["generation"] + 1
    assert kube.ok("GET", item)["metadata"]["deletionTimestamp"] == deleting["metadata"]["deletionTimestamp"]
    added = merge(kube, item, {"metadata": {"finalizers": ["forklift.konveyor.io/cleanup", "another/one"]}})
    assert added.status == 422
    stream = kube.watch(f"{PLANS.format(ns=ns)}?watch=true&resourceVersion={deleting['metadata']['resourceVersion']}")
    try:
        assert merge(kube, item, {"metadata": {"finalizers": None}}).status == 200
        events = stream.events_until(lambda e: e["type"] == "DELETED")
        assert [e["type"] for e in events] == ["MODIFIED", "DELETED"]
    finally:
        stream.close()
    assert kube.request("GET", item).status == 404


def test_delete_preconditions_and_propagation(kube, ns):
    item = f"{CMS.format(ns=ns)}/pre"
    created = kube.ok("POST", CMS.format(ns=ns), configmap("pre"))
    wrong_uid = kube.request("DELETE", item, {"preconditions": {"uid": "not-the-uid"}})
    assert wrong_uid.status == 409 and "Precondition failed: UID in precondition" in wrong_uid.json["message"]
    wrong_rv = kube.request("DELETE", item, {"preconditions": {"resourceVersion": "1"}})
    assert wrong_rv.status == 409
    owner_uid = created["metadata"]["uid"]
    child = configmap("child")
    child["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "pre",
                                             "uid": owner_uid}]
    kube.ok("POST", CMS.format(ns=ns), child)
    kube.ok("DELETE", f"{item}?propagationPolicy=Background", {"preconditions": {"uid": owner_uid}})
    wait_for(lambda: kube.request("GET", f"{CMS.format(ns=ns)}/child").status == 404, 5,
             message="garbage collection of the dependent")


def test_foreground_deletion_waits_for_dependents(kube, ns):
    owner = kube.ok("POST", CMS.format(ns=ns), configmap("owner"))
    child = configmap("dep")
    child["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                                             "uid": owner["metadata"]["uid"], "blockOwnerDeletion": True}]
    child["metadata"]["finalizers"] = ["test/hold"]
    kube.ok("POST", CMS.format(ns=ns), child)
    deleting = kube.ok("DELETE", f"{CMS.format(ns=ns)}/owner", {"propagationPolicy": "Foreground"})
    assert "foregroundDeletion" in deleting["metadata"]["finalizers"]
    wait_for(lambda: kube.ok("GET", f"{CMS.format(ns=ns)}/dep")["metadata"].get("deletionTimestamp"), 5)
    assert kube.request("GET", f"{CMS.format(ns=ns)}/owner").status == 200
    merge(kube, f"{CMS.format(ns=ns)}/dep", {"metadata": {"finalizers": None}})
    wait_for(lambda: kube.request("GET", f"{CMS.format(ns=ns)}/owner").status == 404, 5, message="owner removal")


def test_delete_collection_with_a_label_selector(kube, ns):
    for name, tier in (("a", "x"), ("b", "x"), ("c", "y")):
        kube.ok("POST", CMS.format(ns=ns), configmap(name, labels={"tier": tier}))
    deleted = kube.ok("DELETE", f"{CMS.format(ns=ns)}?labelSelector=tier%3Dx")
    assert deleted["kind"] == "ConfigMapList" and [o["metadata"]["name"] for o in deleted["items"]] == ["a", "b"]
    assert [o["metadata"]["name"] for o in kube.ok("GET", CMS.format(ns=ns))["items"]] == ["c"]


def test_limit_and_continue_give_a_consistent_snapshot(kube, ns):
    for i in range(5):
        kube.ok("POST", CMS.format(ns=ns), configmap(f"cm{i}"))
    page = kube.ok("GET", f"{CMS.format(ns=ns)}?limit=2")
    assert [o["metadata"]["name"] for o in page["items"]] == ["cm0", "cm1"]
    assert page["metadata"]["remainingItemCount"] == 3
    kube.ok("POST", CMS.format(ns=ns), configmap("cm2a"))  # created after the first page: not in this list
    kube.ok("DELETE", f"{CMS.format(ns=ns)}/cm4")  # deleted after the first page: still in this list
    names, token = [], page["metadata"]["continue"]
    while token:
        page2 = kube.ok("GET", f"{CMS.format(ns=ns)}?limit=2&continue={token}")
        assert page2["metadata"]["resourceVersion"] == page["metadata"]["resourceVersion"]
        names += [o["metadata"]["name"] for o in page2["items"]]
        token = page2["metadata"].get("continue")
    assert names == ["cm2", "cm3", "cm4"]
    assert kube.request("GET", f"{CMS.format(ns=ns)}?limit=2&continue=garbage!").status == 400


def test_all_namespace_list_and_field_selectors(kube):
    a, b = kube.namespace(), kube.namespace()
    for namespace in (a, b):
        kube.ok("POST", CMS.format(ns=namespace), configmap("same"))
    everything = kube.ok("GET", "/api/v1/configmaps?fieldSelector=metadata.name%3Dsame")
    assert {o["metadata"]["namespace"] for o in everything["items"]} >= {a, b}
    only_a = kube.ok("GET", f"/api/v1/configmaps?fieldSelector=metadata.namespace%3D{a}")
    assert {o["metadata"]["namespace"] for o in only_a["items"]} == {a}
    secrets = kube.ok("GET", "/api/v1/secrets?fieldSelector=type%3DOpaque")
    assert "aws-creds" in [o["metadata"]["name"] for o in secrets["items"]]
    assert kube.request("GET", "/api/v1/configmaps?fieldSelector=data.k%3Dv").json["message"] == \
        "field label not supported: data.k"
    assert kube.request("GET", "/api/v1/configmaps?labelSelector=a%20in%20(b").status == 400


def test_malformed_json_and_media_types(kube, ns):
    malformed = kube.request("POST", CMS.format(ns=ns), raw=b'{"metadata": {"name": ')
    assert malformed.status == 400 and malformed.json["kind"] == "Status"
    assert malformed.json["reason"] == "BadRequest"
    protobuf = kube.request("POST", CMS.format(ns=ns), raw=b"k8s\x00\n\x0f",
                            headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert protobuf.status == 400 and protobuf.json["reason"] == "BadRequest", "a truncated protobuf body"
    only_protobuf = kube.request("GET", CMS.format(ns=ns), headers={"Accept": "application/vnd.kubernetes.protobuf"})
    assert only_protobuf.status == 406
    fallback = kube.request("GET", CMS.format(ns=ns),
                            headers={"Accept": "application/vnd.kubernetes.protobuf, application/json"})
    assert fallback.status == 200 and fallback.json["kind"] == "ConfigMapList"
    yaml_body = kube.request("POST", CMS.format(ns=ns), raw=b"metadata:\n  name: from-yaml\ndata:\n  a: b\n",
                             headers={"Content-Type": "application/yaml"})
    assert yaml_body.status == 201 and yaml_body.json["data"] == {"a": "b"}
    assert kube.request("OPTIONS", CMS.format(ns=ns)).status == 405
    unknown = kube.request("GET", "/apis/forklift.konveyor.io/v1beta1/namespaces/x/unicorns")
    assert unknown.status == 404 and unknown.json["reason"] == "NotFound"


def test_unknown_fields_follow_field_validation(kube, ns):
    body = {**plan("fv"), "spec": {"targetNamespace": "demo", "bogus": 1}}
    strict = kube.request("POST", f"{PLANS.format(ns=ns)}?fieldValidation=Strict", body)
    assert strict.status == 400 and 'unknown field "spec.bogus"' in strict.json["message"]
    warned = kube.request("POST", PLANS.format(ns=ns), body)
    assert warned.status == 201 and "bogus" not in warned.json["spec"]
    assert 'unknown field \\"spec.bogus\\"' in warned.headers["Warning"]
    ignored = kube.request("POST", f"{PLANS.format(ns=ns)}?fieldValidation=Ignore",
                           {**body, "metadata": {"name": "fv2"}})
    assert ignored.status == 201 and "Warning" not in ignored.headers
    dry = kube.request("POST", f"{PLANS.format(ns=ns)}?dryRun=All", plan("dry"))
    assert dry.status == 201 and kube.request("GET", f"{PLANS.format(ns=ns)}/dry").status == 404


def test_large_object_round_trip(kube, ns):
    blob = "x" * 200_000
    created = kube.ok("POST", CMS.format(ns=ns), {**configmap("big"), "data": {"blob": blob}})
    assert created["data"]["blob"] == blob
    fetched = kube.ok("GET", f"{CMS.format(ns=ns)}/big")
    assert len(json.dumps(fetched)) > 200_000 and fetched["data"]["blob"] == blob
    too_big = kube.request("POST", CMS.format(ns=ns), {**configmap("huge"), "data": {"blob": "y" * 3_200_000}})
    assert too_big.status == 413


def test_secret_data_must_be_base64(kube, ns):
    bad = kube.request("POST", f"/api/v1/namespaces/{ns}/secrets",
                       {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "not base64!"}})
    assert bad.status == 400


def test_created_crd_is_served_and_discoverable(kube):
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "shortNames": ["wd"]},
                    "versions": [{"name": "v1", "served": True, "storage": True,
                                  "subresources": {"status": {}},
                                  "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                      "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                                      "status": {"type": "object",
                                                 "x-kubernetes-preserve-unknown-fields": True}}}}}]}}
    created = kube.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert [c["type"] for c in created["status"]["conditions"]] == ["NamesAccepted", "Established"]
    resources = kube.ok("GET", "/apis/example.com/v1")["resources"]
    assert [r["name"] for r in resources] == ["widgets", "widgets/status"]
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
              "spec": {"size": 3, "color": "red"}}
    stored = kube.ok("POST", "/apis/example.com/v1/namespaces/default/widgets", widget)
    assert stored["spec"] == {"size": 3}, "fields outside the CRD schema are pruned"
    assert "wd" in kube.kubectl_ok("api-resources", "--api-group", "example.com")
    kube.ok("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
    assert kube.request("GET", "/apis/example.com/v1/namespaces/default/widgets").status == 404


def test_label_selector_operators(kube, ns):
    for name, labels in (("a", {"env": "prod", "rank": "1"}), ("b", {"env": "dev", "rank": "5"}), ("c", {})):
        kube.ok("POST", CMS.format(ns=ns), configmap(name, labels=labels))

    def names(selector):
        return [o["metadata"]["name"] for o in kube.ok("GET", f"{CMS.format(ns=ns)}?labelSelector="
                                                               f"{quote(selector)}")["items"]]

    assert names("env==prod") == ["a"]
    assert names("env!=prod") == ["b", "c"]
    assert names("env in (prod, dev)") == ["a", "b"]
    assert names("env notin (prod)") == ["b", "c"]
    assert names("env") == ["a", "b"]
    assert names("!env") == ["c"]
    assert names("rank>2") == ["b"] and names("rank<2") == ["a"]
    assert names("env=prod,rank=1") == ["a"]
    assert kube.request("GET", f"{CMS.format(ns=ns)}?labelSelector=env%3D%3D%3D").status == 400


def test_event_field_selectors(kube, ns):
    for name, target in (("e1", "web01"), ("e2", "db01")):
        kube.ok("POST", f"/api/v1/namespaces/{ns}/events", {
            "metadata": {"name": name}, "reason": "Created", "type": "Normal", "message": "m",
            "involvedObject": {"kind": "Plan", "name": target, "namespace": ns}})
    found = kube.ok("GET", f"/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3Dweb01,"
                           f"involvedObject.kind%3DPlan")
    assert [e["metadata"]["name"] for e in found["items"]] == ["e1"]


def test_metadata_of_the_wrong_type_is_a_400(kube, ns):
    for meta in ({"name": "x", "finalizers": "nope"}, {"name": 5}, {"name": "x", "labels": {"a": 1}}, "text"):
        response = kube.request("POST", CMS.format(ns=ns), {"metadata": meta})
        assert response.status == 400 and response.json["reason"] == "BadRequest", meta


def test_keep_alive_serves_several_requests_on_one_connection(kube, ns):
    conn = http.client.HTTPConnection("127.0.0.1", kube.port, timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", CMS.format(ns=ns), headers={"Authorization": f"Bearer {kube.token}"})
            response = conn.getresponse()
            assert response.status == 200 and json.loads(response.read())["kind"] == "ConfigMapList"
        conn.request("POST", CMS.format(ns=ns), body=b"{oops", headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 400 and json.loads(response.read())["kind"] == "Status"
        conn.request("GET", "/version")
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def test_kubectl_status_subresource_patch_and_large_object(kube, ns):
    kube.kubectl_ok("create", "-f", "-", input=json.dumps({**plan("st"), "metadata": {"name": "st",
                                                                                       "namespace": ns}}))
    kube.kubectl_ok("patch", "plan", "st", "-n", ns, "--subresource", "status", "--type", "merge",
                    "-p", '{"spec":{"targetNamespace":"ignored"},"status":{"observedGeneration":1}}')
    kube.kubectl_ok("patch", "plan", "st", "-n", ns, "--type", "merge", "-p", '{"status":{"observedGeneration":7}}')
    got = json.loads(kube.kubectl_ok("get", "plan", "st", "-n", ns, "-o", "json"))
    assert got["spec"]["targetNamespace"] == "demo" and got["status"] == {"observedGeneration": 1}
    big = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big", "namespace": ns},
           "data": {f"key{i}": "v" * 1000 for i in range(200)}}
    kube.kubectl_ok("create", "-f", "-", input=json.dumps(big))
    assert json.loads(kube.kubectl_ok("get", "cm", "big", "-n", ns, "-o", "json"))["data"] == big["data"]
