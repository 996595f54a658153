"""The simulated Job controller: a Pod from the template, completion, retries up to backoffLimit, deadlines."""

from .conftest import wait_for

JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  namespace: {ns}
spec:
  backoffLimit: {backoff}
  {extra}
  template:
    metadata:
      labels: {{forklift.konveyor.io/hook: {name}}}
    spec:
      restartPolicy: Never
      containers:
      - name: hook
        image: quay.io/kubev2v/hook-runner:latest
"""


def job(kube, ns, name):
    return kube.ok("GET", f"/apis/batch/v1/namespaces/{ns}/jobs/{name}")


def condition(obj, kind):
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == kind
                 and c["status"] == "True"), None)


def pods_of(kube, ns, name):
    return kube.ok("GET", f"/api/v1/namespaces/{ns}/pods?labelSelector=job-name%3D{name}")["items"]


def test_job_runs_its_pod_to_complete(kube, ns):
    kube.kubectl_ok("create", "-f", "-", input=JOB.format(ns=ns, name="hook-ok", backoff=0, extra=""))
    done = wait_for(lambda: condition(job(kube, ns, "hook-ok"), "Complete"), 8, message="Complete")
    assert done["reason"] == "CompletionsReached"
    status = job(kube, ns, "hook-ok")["status"]
    assert status["succeeded"] == 1 and status["active"] == 0 and status["startTime"] and status["completionTime"]
    assert condition(job(kube, ns, "hook-ok"), "SuccessCriteriaMet")
    (pod,) = pods_of(kube, ns, "hook-ok")
    assert pod["metadata"]["labels"]["forklift.konveyor.io/hook"] == "hook-ok"
    assert pod["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "hook-ok"
    owner = pod["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("Job", "hook-ok", True)
    assert "ran to completion" in kube.kubectl_ok("logs", "job/hook-ok", "-n", ns)
    row = kube.kubectl_ok("get", "job", "hook-ok", "-n", ns).splitlines()[1].split()
    assert row[:3] == ["hook-ok", "Complete", "1/1"]
    kube.kubectl_ok("delete", "job", "hook-ok", "-n", ns)
    wait_for(lambda: not pods_of(kube, ns, "hook-ok"), 5, message="the Job's Pod collected with it")


def test_failed_pods_are_retried_until_the_backoff_limit(kube, ns):
    kube.control("POST", "pods/fail", {"namespace": ns, "labelSelector": "job-name=hook-bad", "exitCode": 2,
                                       "log": "TASK [quiesce] fatal: database did not stop\n"})
    try:
        kube.kubectl_ok("create", "-f", "-", input=JOB.format(ns=ns, name="hook-bad", backoff=1, extra=""))
        failed = wait_for(lambda: condition(job(kube, ns, "hook-bad"), "Failed"), 12, message="Failed")
    finally:
        kube.control("DELETE", "pods/fail")
    assert failed["reason"] == "BackoffLimitExceeded"
    assert job(kube, ns, "hook-bad")["status"]["failed"] == 2, "the first Pod and one retry"
    pods = pods_of(kube, ns, "hook-bad")
    assert len(pods) == 2 and len({p["metadata"]["name"] for p in pods}) == 2
    name = pods[0]["metadata"]["name"]
    assert "database did not stop" in kube.kubectl_ok("logs", name, "-n", ns)
    assert kube.kubectl_ok("get", "job", "hook-bad", "-n", ns).splitlines()[1].split()[1] == "Failed"


def test_a_job_past_its_deadline_fails_and_its_pod_goes(kube, ns):
    delay = kube.control("GET", "config")["podDelay"]
    kube.control("POST", "config", {"podDelay": 60})
    try:
        kube.kubectl_ok("create", "-f", "-", input=JOB.format(ns=ns, name="hook-slow", backoff=0,
                                                              extra="activeDeadlineSeconds: 1"))
        failed = wait_for(lambda: condition(job(kube, ns, "hook-slow"), "Failed"), 8, message="DeadlineExceeded")
    finally:
        kube.control("POST", "config", {"podDelay": delay})
    assert failed["reason"] == "DeadlineExceeded"
    wait_for(lambda: not pods_of(kube, ns, "hook-slow"), 5, message="the running Pod deleted")


def test_more_than_one_completion_is_refused_by_name(kube, ns):
    kube.kubectl_ok("create", "-f", "-", input=JOB.format(ns=ns, name="hook-many", backoff=0,
                                                          extra="completions: 3"))
    failed = wait_for(lambda: condition(job(kube, ns, "hook-many"), "Failed"), 5, message="Failed")
    assert failed["reason"] == "NotSimulated" and "one completion" in failed["message"]
    assert not pods_of(kube, ns, "hook-many")
