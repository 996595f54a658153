"""Watch semantics: kubectl get -w, resumption, 410 after compaction, bookmarks, selectors, timeouts, drops."""

import json
import time

PLANS = "/apis/forklift.konveyor.io/v1beta1/namespaces/{ns}/plans"
CMS = "/api/v1/namespaces/{ns}/configmaps"


def configmap(name, labels=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": {"k": "v"}}


def plan(name):
    return {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan", "metadata": {"name": name},
            "spec": {"targetNamespace": "demo", "vms": []}}


def merge(kube, path, body):
    return kube.ok("PATCH", path, body, headers={"Content-Type": "application/merge-patch+json"})


def test_kubectl_get_watch_streams_printer_columns(kube, ns):
    kube.ok("POST", PLANS.format(ns=ns), plan("watched"))
    kube.ok("POST", PLANS.format(ns=ns), plan("ignored"))
    whole = kube.kubectl_stream("get", "plans", "-n", ns, "-w")
    single = kube.kubectl_stream("get", "plan", "watched", "-n", ns, "-w")
    try:
        kube.wait_for_watch(f"/namespaces/{ns}/plans?fieldSelector=metadata.name%3Dwatched")
        kube.wait_for_watch(f"/namespaces/{ns}/plans?resourceVersion=")
        status = {"status": {"conditions": [{"type": "Ready", "status": "True", "category": "Required",
                                             "lastTransitionTime": "2026-01-01T00:00:00Z", "message": "ok"}]}}
        for name in ("watched", "ignored"):
            kube.ok("PATCH", f"{PLANS.format(ns=ns)}/{name}/status", status,
                    headers={"Content-Type": "application/merge-patch+json"})
        whole.wait_for_lines(lambda lines: sum(1 for line in lines if "True" in line) >= 2)
        single.wait_for_lines(lambda lines: any("True" in line for line in lines))
    finally:
        whole_lines, single_lines = whole.stop(), single.stop()
    assert whole_lines[0].split() == ["NAME", "READY", "EXECUTING", "SUCCEEDED", "FAILED", "AGE"]

    def rows(lines):
        return [(line.split()[0], "True" in line.split()) for line in lines[1:]]

    assert rows(whole_lines) == [("ignored", False), ("watched", False), ("watched", True), ("ignored", True)]
    assert single_lines[0].split()[:2] == ["NAME", "READY"]
    assert rows(single_lines) == [("watched", False), ("watched", True)]


def test_watch_resumes_after_a_resource_version(kube, ns):
    first = kube.ok("POST", CMS.format(ns=ns), configmap("a"))
    kube.ok("POST", CMS.format(ns=ns), configmap("b"))
    merge(kube, f"{CMS.format(ns=ns)}/a", {"data": {"k": "2"}})
    kube.ok("DELETE", f"{CMS.format(ns=ns)}/b")
    stream = kube.watch(f"{CMS.format(ns=ns)}?watch=1&resourceVersion={first['metadata']['resourceVersion']}")
    try:
        events = [stream.next_event() for _ in range(3)]
    finally:
        stream.close()
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(first["metadata"]["resourceVersion"])


def test_watch_from_zero_sends_synthetic_added_then_live_events(kube, ns):
    kube.ok("POST", CMS.format(ns=ns), configmap("existing"))
    stream = kube.watch(f"{CMS.format(ns=ns)}?watch=true&resourceVersion=0")
    try:
        first = stream.next_event()
        assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "existing")
        assert first["object"]["kind"] == "ConfigMap"
        kube.ok("POST", CMS.format(ns=ns), configmap("live"))
        second = stream.next_event()
        assert (second["type"], second["object"]["metadata"]["name"]) == ("ADDED", "live")
    finally:
        stream.close()


def test_too_old_resource_version_gets_410_after_compaction(kube, ns):
    old = kube.ok("POST", CMS.format(ns=ns), configmap("old"))["metadata"]["resourceVersion"]
    kube.ok("POST", CMS.format(ns=ns), configmap("newer"))
    compacted = kube.control("POST", "compact")["compactedResourceVersion"]
    stream = kube.watch(f"{CMS.format(ns=ns)}?watch=true&resourceVersion={old}")
    try:
        event = stream.next_event()
        assert event["type"] == "ERROR"
        assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
        assert stream.next_event() is None, "the stream ends after the error"
    finally:
        stream.close()
    current = kube.watch(f"{CMS.format(ns=ns)}?watch=true&resourceVersion={compacted}")
    try:
        kube.ok("POST", CMS.format(ns=ns), configmap("after"))
        assert current.next_event()["object"]["metadata"]["name"] == "after"
    finally:
        current.close()
    list_with_old_token = kube.request("GET", f"{CMS.format(ns=ns)}?limit=1")
    token = list_with_old_token.json["metadata"]["continue"]
    kube.ok("POST", CMS.format(ns=ns), configmap("bump"))
    kube.control("POST", "compact")
    assert kube.request("GET", f"{CMS.format(ns=ns)}?limit=1&continue={token}").status == 410


def test_bookmarks_arrive_soon_and_periodically(kube, ns):
    stream = kube.watch(f"{CMS.format(ns=ns)}?watch=true&allowWatchBookmarks=true&resourceVersion=0")
    try:
        started = time.monotonic()
        bookmarks = [stream.next_event() for _ in range(3)]
        elapsed = time.monotonic() - started
    finally:
        stream.close()
    assert [b["type"] for b in bookmarks] == ["BOOKMARK"] * 3
    assert bookmarks[0]["object"]["kind"] == "ConfigMap" and bookmarks[0]["object"]["metadata"]["resourceVersion"]
    assert elapsed >= 0.4, "three bookmarks 0.3 s apart cannot all arrive at once"


def test_send_initial_events_ends_with_an_annotated_bookmark(kube, ns):
    kube.ok("POST", CMS.format(ns=ns), configmap("one"))
    stream = kube.watch(f"{CMS.format(ns=ns)}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"
                        f"&resourceVersionMatch=NotOlderThan")
    try:
        added, bookmark = stream.next_event(), stream.next_event()
    finally:
        stream.close()
    assert added["type"] == "ADDED"
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_selector_transitions_become_added_and_deleted(kube, ns):
    kube.ok("POST", CMS.format(ns=ns), configmap("flip", {"app": "no"}))
    stream = kube.watch(f"{CMS.format(ns=ns)}?watch=true&labelSelector=app%3Dyes")
    try:
        merge(kube, f"{CMS.format(ns=ns)}/flip", {"metadata": {"labels": {"app": "yes"}}})
        merge(kube, f"{CMS.format(ns=ns)}/flip", {"data": {"k": "changed"}})
        merge(kube, f"{CMS.format(ns=ns)}/flip", {"metadata": {"labels": {"app": "no"}}})
        kube.ok("POST", CMS.format(ns=ns), configmap("other", {"app": "no"}))
        kube.ok("POST", CMS.format(ns=ns), configmap("match", {"app": "yes"}))
        events = [stream.next_event() for _ in range(4)]
    finally:
        stream.close()
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "flip"), ("MODIFIED", "flip"), ("DELETED", "flip"), ("ADDED", "match")]


def test_namespaced_watch_sees_only_its_namespace(kube, ns):
    other = kube.namespace()
    stream = kube.watch(f"{CMS.format(ns=ns)}?watch=true")
    try:
        kube.ok("POST", CMS.format(ns=other), configmap("elsewhere"))
        kube.ok("POST", CMS.format(ns=ns), configmap("here"))
        event = stream.next_event()
    finally:
        stream.close()
    assert event["object"]["metadata"]["name"] == "here"


def test_timeout_seconds_ends_the_stream(kube, ns):
    started = time.monotonic()
    stream = kube.watch(f"{CMS.format(ns=ns)}?watch=true&timeoutSeconds=1")
    try:
        assert stream.next_event() is None
    finally:
        stream.close()
    # It ended by its own timeout: not before the second, and long before the server's 30-minute watch limit
    # (a bound no machine's load comes near).
    assert 0.9 < time.monotonic() - started < 60


def test_dropped_watches_end_and_other_requests_keep_working(kube, ns):
    stream = kube.watch(f"{CMS.format(ns=ns)}?watch=true")
    try:
        kube.wait_for_watch(f"/namespaces/{ns}/configmaps")
        assert kube.ok("GET", CMS.format(ns=ns))["kind"] == "ConfigMapList", "a watch must not block requests"
        dropped = kube.control("POST", "drop-watches", {"path": f"/namespaces/{ns}/"})
        assert dropped["dropped"] == 1
        assert stream.next_event() is None
    finally:
        stream.close()


def test_watch_as_table_for_kubectl(kube, ns):
    kube.ok("POST", PLANS.format(ns=ns), plan("t"))
    stream = kube.watch(f"{PLANS.format(ns=ns)}?watch=true&resourceVersion=0",
                        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    try:
        event = stream.next_event()
    finally:
        stream.close()
    table = event["object"]
    assert table["kind"] == "Table" and [c["name"] for c in table["columnDefinitions"]][:2] == ["Name", "READY"]
    assert table["rows"][0]["cells"][0] == "t"
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert json.loads(json.dumps(table))["rows"][0]["object"]["metadata"]["name"] == "t"
