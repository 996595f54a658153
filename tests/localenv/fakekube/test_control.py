"""The /__fake/ control API: fault injection, request counters, timings, object dumps."""

import time

import pytest

PLANS = "/apis/forklift.konveyor.io/v1beta1/namespaces/{ns}/plans"


@pytest.fixture(autouse=True)
def no_faults_left(kube):
    yield
    kube.control("DELETE", "faults")


def plan(name):
    return {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan", "metadata": {"name": name},
            "spec": {"targetNamespace": "demo"}}


def test_injected_500_hits_only_the_next_matching_request(kube, ns):
    kube.ok("POST", PLANS.format(ns=ns), plan("p"))
    kube.control("POST", "faults", {"method": "GET", "path": f"/apis/forklift.konveyor.io/v1beta1/namespaces/{ns}/",
                                    "status": 500})
    assert kube.request("GET", "/api/v1/namespaces").status == 200, "other paths are unaffected"
    failed = kube.request("GET", f"{PLANS.format(ns=ns)}/p")
    assert failed.status == 500 and failed.json["reason"] == "InternalError"
    assert kube.request("GET", f"{PLANS.format(ns=ns)}/p").status == 200
    assert kube.control("GET", "faults")["faults"] == []


def test_injected_conflict_on_status_updates(kube, ns):
    created = kube.ok("POST", PLANS.format(ns=ns), plan("p"))
    kube.control("POST", "faults", {"verb": "update", "resource": "plans/status", "status": 409, "count": 2})
    body = {**created, "status": {"observedGeneration": 1}}
    for _ in range(2):
        conflict = kube.request("PUT", f"{PLANS.format(ns=ns)}/p/status", body)
        assert conflict.status == 409 and "the object has been modified" in conflict.json["message"]
    assert kube.request("PUT", f"{PLANS.format(ns=ns)}/p/status", body).status == 200


def test_kubectl_sees_injected_errors_and_retries_429(kube, ns):
    kube.kubectl_ok("get", "plans", "-n", ns)  # warm the discovery cache, so faults hit the list itself
    kube.control("POST", "faults", {"method": "GET", "path": f"^{PLANS.format(ns=ns)}$", "status": 500,
                                    "message": "etcd is on fire"})
    assert "etcd is on fire" in kube.kubectl_fails("get", "plans", "-n", ns)
    kube.control("POST", "requests/reset")
    kube.control("POST", "faults", {"method": "GET", "path": f"^{PLANS.format(ns=ns)}$", "status": 429,
                                    "retryAfter": 1})
    started = time.monotonic()
    kube.kubectl_ok("get", "plans", "-n", ns)
    assert time.monotonic() - started >= 0.9, "client-go waits for Retry-After"
    assert kube.control("GET", "requests")["counts"]["list plans.forklift.konveyor.io"] == 2
    throttled = [e for e in kube.control("GET", "requests")["log"] if e["code"] == 429]
    assert len(throttled) == 1 and throttled[0]["verb"] == "list"


def test_429_carries_retry_after_and_reset_closes_the_connection(kube, ns):
    kube.control("POST", "faults", {"path": "/api/v1/namespaces/" + ns, "status": 429, "retryAfter": 3})
    throttled = kube.request("GET", f"/api/v1/namespaces/{ns}/configmaps")
    assert throttled.status == 429 and throttled.headers["Retry-After"] == "3"
    assert throttled.json["details"]["retryAfterSeconds"] == 3 and throttled.json["reason"] == "TooManyRequests"
    kube.control("POST", "faults", {"path": "/api/v1/namespaces/" + ns, "reset": True})
    with pytest.raises((ConnectionError, OSError)):
        kube.request("GET", f"/api/v1/namespaces/{ns}/configmaps")
    assert kube.request("GET", f"/api/v1/namespaces/{ns}/configmaps").status == 200


def test_request_counters_by_verb_and_resource(kube, ns):
    kube.control("POST", "requests/reset")
    kube.ok("POST", PLANS.format(ns=ns), plan("c"))
    kube.ok("GET", f"{PLANS.format(ns=ns)}/c")
    kube.ok("GET", f"{PLANS.format(ns=ns)}/c/status")
    kube.ok("PATCH", f"{PLANS.format(ns=ns)}/c", {"metadata": {"labels": {"a": "b"}}},
            headers={"Content-Type": "application/merge-patch+json"})
    kube.ok("GET", f"/api/v1/namespaces/{ns}/pods")
    stats = kube.control("GET", "requests")
    assert stats["counts"] == {"create plans.forklift.konveyor.io": 1, "get plans.forklift.konveyor.io": 1,
                               "get plans/status.forklift.konveyor.io": 1, "patch plans.forklift.konveyor.io": 1,
                               "list pods": 1}
    assert stats["total"] == 5
    assert [(e["verb"], e["name"], e["code"]) for e in stats["log"]] == [
        ("create", "", 201), ("get", "c", 200), ("get", "c", 200), ("patch", "c", 200), ("list", "", 200)]


def test_config_and_object_dump(kube, ns):
    before = kube.control("GET", "config")
    assert set(before) == {"podDelay", "podStartDelay", "vmStartDelay", "bookmarkInterval", "watchHistory"}
    try:
        changed = kube.control("POST", "config", {"podDelay": 7})
        assert changed["podDelay"] == 7.0
        assert kube.request("POST", "/__fake/config", {"podDelay": -1}, token=None).status == 400
        assert kube.request("POST", "/__fake/config", {"nonsense": 1}, token=None).status == 400
    finally:
        kube.control("POST", "config", {"podDelay": before["podDelay"]})
    kube.ok("POST", PLANS.format(ns=ns), plan("dumped"))
    dump = kube.control("GET", f"objects?resource=plans.forklift.konveyor.io&namespace={ns}")
    assert [o["metadata"]["name"] for o in dump["objects"]["plans.forklift.konveyor.io"]] == ["dumped"]
    assert kube.request("GET", "/__fake/nothing-here", token=None).status == 404


def test_body_name_narrows_a_fault_to_one_created_object(kube, ns):
    kube.control("POST", "faults", {"method": "POST", "path": f"^{PLANS.format(ns=ns)}$", "bodyName": "blocked",
                                    "status": 403, "count": -1})
    assert kube.request("POST", PLANS.format(ns=ns), plan("other")).status == 201
    refused = kube.request("POST", PLANS.format(ns=ns), plan("blocked"))
    assert refused.status == 403 and refused.json["reason"] == "Forbidden"
    assert len(kube.control("GET", "faults")["faults"]) == 1, "a count of -1 stays armed"


def test_body_contains_narrows_a_fault_and_one_fault_can_be_disarmed(kube, ns):
    armed = kube.control("POST", "faults", {"method": "POST", "path": f"^{PLANS.format(ns=ns)}$",
                                            "bodyContains": "needle-7", "status": 500, "count": -1})
    kube.control("POST", "faults", {"method": "POST", "path": "^/never$", "status": 500, "count": -1})
    assert kube.request("POST", PLANS.format(ns=ns), plan("haystack")).status == 201
    assert kube.request("POST", PLANS.format(ns=ns), plan("needle-7")).status == 500
    assert kube.control("DELETE", f"faults/{armed['id']}") == {"removed": armed["id"]}
    assert kube.request("DELETE", f"/__fake/faults/{armed['id']}", token=None).status == 404
    assert kube.request("POST", PLANS.format(ns=ns), plan("needle-7")).status == 201
    assert len(kube.control("GET", "faults")["faults"]) == 1, "only the named fault was disarmed"
    kube.control("DELETE", "faults")
