"""Authentication and authorization: tokens, the restricted-token table, reviews, TLS and client certificates."""

import base64
from pathlib import Path

from .conftest import RESTRICTED_TOKEN, REVIEWER_TOKEN, FakeKube

PLANS = "/apis/forklift.konveyor.io/v1beta1/namespaces/{ns}/plans"


def write_kubeconfig(path, server, ca_file, user):
    ca = base64.b64encode(Path(ca_file).read_bytes()).decode()
    path.write_text(f"""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {{server: "{server}", certificate-authority-data: "{ca}"}}
users:
- name: u
  user: {user}
contexts:
- name: fake
  context: {{cluster: fake, user: u, namespace: default}}
current-context: fake
""")
    return path


def test_invalid_token_is_401_and_health_needs_no_auth(kube):
    response = kube.request("GET", "/api/v1/namespaces", token="not-a-token")
    assert response.status == 401
    assert response.json == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    for path in ("/healthz", "/readyz", "/livez"):
        assert kube.request("GET", path, token=None).body == b"ok"
    assert kube.request("GET", "/version", token=None).json["gitVersion"].startswith("v1.32.")


def test_restricted_token_gets_403_outside_its_rules(kube):
    allowed = kube.request("GET", PLANS.format(ns="openshift-mtv"), token=RESTRICTED_TOKEN)
    assert allowed.status == 200
    denied = kube.request("GET", PLANS.format(ns="default"), token=RESTRICTED_TOKEN)
    assert denied.status == 403 and denied.json["reason"] == "Forbidden"
    assert denied.json["message"] == ('plans.forklift.konveyor.io is forbidden: User "bob" cannot list resource '
                                      '"plans" in API group "forklift.konveyor.io" in the namespace "default"')
    create = kube.request("POST", PLANS.format(ns="openshift-mtv"), {"metadata": {"name": "x"}},
                          token=RESTRICTED_TOKEN)
    assert create.status == 403
    status = kube.request("GET", f"{PLANS.format(ns='openshift-mtv')}/x/status", token=RESTRICTED_TOKEN)
    assert status.status == 403, "plans/status is a separate resource"
    named = kube.request("GET", "/api/v1/namespaces/kube-system/secrets/aws-creds", token=RESTRICTED_TOKEN)
    assert named.status == 403 and 'secrets "aws-creds" is forbidden' in named.json["message"]
    assert kube.request("GET", "/apis", token=RESTRICTED_TOKEN).status == 200, "discovery is open"


def test_token_review_and_subject_access_review(kube):
    review = kube.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                          {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                           "spec": {"token": RESTRICTED_TOKEN}}, token=REVIEWER_TOKEN)
    assert review.status == 201
    assert review.json["status"] == {"authenticated": True,
                                     "user": {"username": "bob", "groups": ["viewers", "system:authenticated"]}}
    bogus = kube.ok("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {"spec": {"token": "bogus"}},
                    token=REVIEWER_TOKEN)
    assert bogus["status"]["authenticated"] is False

    def sar(namespace, verb, resource="plans"):
        return kube.ok("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
            "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": {"user": "bob", "groups": ["viewers"], "resourceAttributes": {
                "namespace": namespace, "verb": verb, "group": "forklift.konveyor.io", "resource": resource}}},
            token=REVIEWER_TOKEN)["status"]["allowed"]

    assert sar("openshift-mtv", "get") is True
    assert sar("openshift-mtv", "delete") is False
    assert sar("default", "list") is False
    masters = kube.ok("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        "spec": {"user": "root", "groups": ["system:masters"], "resourceAttributes": {"verb": "delete",
                                                                                        "resource": "nodes"}}})
    assert masters["status"]["allowed"] is True
    assert kube.request("GET", "/api/v1/namespaces", token=REVIEWER_TOKEN).status == 403
    me = kube.ok("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        "spec": {"resourceAttributes": {"verb": "list", "group": "forklift.konveyor.io", "resource": "plans",
                                        "namespace": "openshift-mtv"}}}, token=RESTRICTED_TOKEN)
    assert me["kind"] == "SelfSubjectAccessReview" and me["status"]["allowed"] is True


def test_auth_can_i_with_a_restricted_token(tls_kube, tls_material):
    """kubectl sends tokens over TLS only; its SelfSubjectAccessReview and SelfSubjectRulesReview are protobuf."""
    kube = tls_kube
    bob = write_kubeconfig(kube.dir / "bob-can-i.kubeconfig", f"https://127.0.0.1:{kube.port}",
                           tls_material["ca_crt"], f'{{token: "{RESTRICTED_TOKEN}"}}')
    denied = kube.kubectl("auth", "can-i", "create", "pods", kubeconfig=bob)
    assert denied.returncode == 1 and denied.stdout.strip() == 'no - no rule allows user "bob" to create this'
    assert kube.kubectl_ok("auth", "can-i", "list", "plans.forklift.konveyor.io", "-n", "openshift-mtv",
                           kubeconfig=bob).strip() == "yes"
    rules = [line.split() for line in kube.kubectl_ok("auth", "can-i", "--list", "-n", "openshift-mtv",
                                                      kubeconfig=bob).splitlines()]
    assert ["plans.forklift.konveyor.io", "[]", "[]", "[get", "list", "watch]"] in rules
    assert ["secrets", "[]", "[visible]", "[get]"] in rules
    assert ["selfsubjectrulesreviews.authorization.k8s.io", "[]", "[]", "[create]"] in rules
    elsewhere = kube.kubectl_ok("auth", "can-i", "--list", "-n", "default", kubeconfig=bob)
    assert "plans.forklift.konveyor.io" not in elsewhere and "[visible]" in elsewhere


def test_http_anonymous_reject_requires_a_token(tmp_path):
    server = FakeKube(tmp_path, "--seed", "none", "--http-anonymous", "reject")
    try:
        assert server.request("GET", "/api/v1/namespaces", token=None).status == 401
        assert server.request("GET", "/api/v1/namespaces").status == 200
        assert "You must be logged in to the server" in server.kubectl_fails("get", "ns")
    finally:
        server.stop()


def test_tls_with_token_and_client_certificates(tls_kube, tls_material):
    kube, tls = tls_kube, tls_material
    assert kube.kubeconfig.read_text().count("certificate-authority-data") == 1
    assert "default" in kube.kubectl_ok("get", "ns")
    assert kube.request("GET", "/api/v1/namespaces", token=None).status == 401, "no anonymous access over TLS"
    bad_token = write_kubeconfig(kube.dir / "bad.kubeconfig", f"https://127.0.0.1:{kube.port}", tls["ca_crt"],
                                 '{token: "not-a-token"}')
    assert "You must be logged in to the server" in kube.kubectl_fails("get", "ns", kubeconfig=bad_token)
    restricted = write_kubeconfig(kube.dir / "bob.kubeconfig", f"https://127.0.0.1:{kube.port}", tls["ca_crt"],
                                  f'{{token: "{RESTRICTED_TOKEN}"}}')
    err = kube.kubectl_fails("get", "plans", "-n", "default", kubeconfig=restricted)
    assert 'Error from server (Forbidden): plans.forklift.konveyor.io is forbidden: User "bob"' in err
    assert "No resources found" in kube.kubectl("get", "plans", "-n", "openshift-mtv", kubeconfig=restricted).stderr

    admin_cert = write_kubeconfig(kube.dir / "carol.kubeconfig", f"https://127.0.0.1:{kube.port}", tls["ca_crt"],
                                  f'{{client-certificate: "{tls["admin_crt"]}", client-key: "{tls["admin_key"]}"}}')
    assert "kube-system" in kube.kubectl_ok("get", "ns", kubeconfig=admin_cert)
    review = kube.ok("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {},
                     cert=(tls["alice_crt"], tls["alice_key"]), token=None)
    assert review["status"]["userInfo"] == {"username": "alice", "groups": ["team-a", "system:authenticated"]}
    assert kube.request("GET", "/api/v1/namespaces", cert=(tls["alice_crt"], tls["alice_key"]),
                        token=None).status == 403
