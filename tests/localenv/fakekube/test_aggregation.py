"""API aggregation (aggregator.py): APIServices, the front-proxy relay to an HTTPS backend, availability, discovery
through kubectl, and the kube-system/extension-apiserver-authentication ConfigMap."""

import json
import socket
import ssl
import subprocess
import threading
from base64 import b64encode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import LAUNCHER, RESTRICTED_TOKEN, TOKENS, FakeKube, wait_for

GROUP, VERSION = "inventory.forklift.konveyor.io", "v1beta1"
NAME = f"{VERSION}.{GROUP}"
PREFIX = f"/apis/{GROUP}/{VERSION}"
APISERVICES = "/apis/apiregistration.k8s.io/v1/apiservices"
READER_TOKEN = "inventory-reader-token"
READER = {"username": "dana", "groups": ["migrators"], "extra": {"scopes.example.com/team": ["a", "b c"]},
          "rules": [{"verbs": ["get", "list", "create"], "apiGroups": [GROUP], "resources": ["*"]}]}
RESOURCES = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{GROUP}/{VERSION}",
             "resources": [{"name": "echoes", "singularName": "echo", "namespaced": False, "kind": "Echo",
                            "verbs": ["get", "list"]}]}


def apiservice(name=NAME, service=None, **spec):
    group_version = name.split(".", 1)
    return {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": name},
            "spec": {"group": group_version[1], "version": group_version[0], "groupPriorityMinimum": 1000,
                     "versionPriority": 15, "service": service, **spec}}


def condition(server, name=NAME):
    found = server.ok("GET", f"{APISERVICES}/{name}").get("status", {}).get("conditions", [])
    return next((c for c in found if c["type"] == "Available"), None)


def wait_for_condition(server, status, reason, name=NAME):
    return wait_for(lambda: (lambda c: c if c and (c["status"], c["reason"]) == (status, reason) else None)(
        condition(server, name)), 15, message=f"{name} Available={status} ({reason}); now {condition(server, name)}")


def free_port():
    """A loopback port with nothing listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    """A front-proxy CA and its client certificate (CN front-proxy-client), and a service CA with the backend's
    serving certificate for inventory.openshift-mtv.svc, made with the openssl CLI."""
    d = tmp_path_factory.mktemp("aggregation-tls")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    (d / "backend.ext").write_text("subjectAltName=DNS:inventory.openshift-mtv.svc,"
                                   "DNS:inventory.openshift-mtv.svc.cluster.local\nextendedKeyUsage=serverAuth\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for ca in ("front-proxy-ca", "service-ca"):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2",
            "-subj", f"/CN={ca}")
    for name, ca, subject, ext in (("front-proxy-client", "front-proxy-ca", "/CN=front-proxy-client", "client.ext"),
                                   ("backend", "service-ca", "/CN=inventory.openshift-mtv.svc", "backend.ext")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
        run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", "-extfile", ext)
    return {stem: str(d / stem) for stem in ("front-proxy-ca.crt", "front-proxy-client.crt", "front-proxy-client.key",
                                             "service-ca.crt", "backend.crt", "backend.key")}


class Backend:
    """A tiny aggregated API server over HTTPS. It asks for (but does not require) a client certificate signed by
    the front-proxy CA, and records every request: method, path, headers, body, client CN and SNI name."""

    def __init__(self, cert, key, client_ca):
        self.requests, self.server_names = [], []
        self.release = threading.Event()  # /stream sends its second chunk once this is set
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_OPTIONAL
        context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                backend.serve(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def last(self, path):
        """The latest request for `path`, compared with its query when `path` has one."""
        return next(r for r in reversed(self.requests)
                    if (r["path"] if "?" in path else r["path"].split("?")[0]) == path)

    def serve(self, h):
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        subject = (h.connection.getpeercert() or {}).get("subject", ())
        cn = next((value for rdn in subject for key, value in rdn if key == "commonName"), None)
        self.requests.append({"method": h.command, "path": h.path, "headers": h.headers, "body": body, "cn": cn})
        path = urlsplit(h.path).path
        if path == PREFIX:
            return self.send(h, 200, json.dumps(RESOURCES).encode())
        if path == f"{PREFIX}/teapot":
            return self.send(h, 418, b"short and stout", [("X-Backend", "teapot"), ("Content-Type", "text/plain")])
        if path in (f"{PREFIX}/chunked", f"{PREFIX}/stream"):
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            for piece in (b"one\n", b"two\n", b"three\n", b""):
                h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                if path.endswith("/stream"):
                    self.release.wait(10)
            return None
        echo = {"method": h.command, "path": h.path, "body": body.decode()}
        return self.send(h, 200, json.dumps(echo).encode())

    @staticmethod
    def send(h, code, data, headers=(("Content-Type", "application/json"),)):
        h.send_response(code)
        for name, value in headers:
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)


@pytest.fixture(scope="module")
def backend(material):
    server = Backend(material["backend.crt"], material["backend.key"], material["front-proxy-ca.crt"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ca_bundle(material):
    return b64encode(Path(material["service-ca.crt"]).read_bytes()).decode()


@pytest.fixture(scope="module")
def agg(tmp_path_factory, tls_material, material, backend, ca_bundle):
    """A TLS server with front-proxy credentials, the inventory Service mapped to the backend, and the APIService
    applied with kubectl and Available."""
    directory = tmp_path_factory.mktemp("fakekube-aggregation")
    tokens = directory / "tokens.json"
    tokens.write_text(json.dumps({**TOKENS, READER_TOKEN: READER}))
    server = FakeKube(directory / "server", "--seed", "none", "--tokens", str(tokens),
                      "--requestheader-client-cert", material["front-proxy-client.crt"],
                      "--requestheader-client-key", material["front-proxy-client.key"],
                      "--requestheader-ca", material["front-proxy-ca.crt"],
                      "--service-endpoint", f"openshift-mtv/inventory:443={backend.address}", tls=tls_material)
    try:
        manifest = apiservice(service={"namespace": "openshift-mtv", "name": "inventory"}, caBundle=ca_bundle)
        assert server.kubectl_ok("apply", "-f", "-", input=json.dumps(manifest)).strip() == \
            f"apiservice.apiregistration.k8s.io/{NAME} created"
        wait_for_condition(server, "True", "Passed")
        yield server
    finally:
        server.stop()


def test_extension_apiserver_authentication_configmap(agg, tls_material, material):
    data = agg.ok("GET", "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication")["data"]
    assert data == {
        "client-ca-file": Path(tls_material["ca_crt"]).read_text(),
        "requestheader-client-ca-file": Path(material["front-proxy-ca.crt"]).read_text(),
        "requestheader-allowed-names": '["front-proxy-client"]',
        "requestheader-username-headers": '["X-Remote-User"]',
        "requestheader-group-headers": '["X-Remote-Group"]',
        "requestheader-extra-headers-prefix": '["X-Remote-Extra-"]',
    }


def test_apiservice_is_available_and_listed_by_kubectl(agg):
    stored = agg.ok("GET", f"{APISERVICES}/{NAME}")
    assert stored["spec"]["service"] == {"namespace": "openshift-mtv", "name": "inventory", "port": 443}
    assert condition(agg)["message"] == "all checks passed"
    header, *rows = agg.kubectl_ok("get", "apiservices").splitlines()
    assert header.split() == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
    assert [NAME, "openshift-mtv/inventory", "True"] in [row.split()[:3] for row in rows]
    assert agg.kubectl_ok("get", "apiservice", NAME, "-o", "jsonpath={.spec.group}") == GROUP


def test_admin_request_carries_the_front_proxy_identity_and_no_credentials(agg, backend):
    forged = {"X-Remote-User": "mallory", "X-Remote-Group": "evil", "X-Remote-Extra-Scopes": "all",
              "Impersonate-User": "root"}
    response = agg.request("GET", f"{PREFIX}/providers?b=2&a=1&a=0", headers=forged)
    assert response.status == 200, response
    seen = backend.last(f"{PREFIX}/providers")
    assert seen["cn"] == "front-proxy-client"
    assert seen["path"] == f"{PREFIX}/providers?a=1&a=0&b=2", "the query is re-encoded in key order, like Go"
    headers = seen["headers"]
    assert headers.get_all("X-Remote-User") == ["admin"]
    assert headers.get_all("X-Remote-Group") == ["system:masters", "system:authenticated"]
    assert headers["Authorization"] is None and headers["Impersonate-User"] is None
    assert not [k for k in headers.keys() if k.lower().startswith("x-remote-extra-")]
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert "inventory.openshift-mtv.svc" in backend.server_names, "SNI names the Service"


def test_limited_token_is_named_with_its_groups_and_extra(agg, backend):
    response = agg.request("GET", f"{PREFIX}/providers/ec2", token=READER_TOKEN,
                           headers={"X-Remote-User": "admin", "X-Remote-Group": "system:masters"})
    assert response.status == 200, response
    headers = backend.last(f"{PREFIX}/providers/ec2")["headers"]
    assert headers.get_all("X-Remote-User") == ["dana"]
    assert headers.get_all("X-Remote-Group") == ["migrators", "system:authenticated"]
    assert headers.get_all("X-Remote-Extra-Scopes.example.com%2Fteam") == ["a", "b c"]
    assert headers["Authorization"] is None


def test_the_aggregator_authenticates_and_authorizes_before_proxying(agg, backend):
    denied = agg.request("GET", f"{PREFIX}/providers/ec2/secret-uid", token=RESTRICTED_TOKEN)
    assert denied.status == 403 and denied.json["reason"] == "Forbidden"
    assert denied.json["message"] == ('providers.inventory.forklift.konveyor.io "ec2" is forbidden: User "bob" cannot '
                                      'get resource "providers/secret-uid" in API group '
                                      '"inventory.forklift.konveyor.io" at the cluster scope')
    assert agg.request("GET", f"{PREFIX}/providers/ec2/secret-uid", token="not-a-token").status == 401
    assert not [r for r in backend.requests if r["path"].startswith(f"{PREFIX}/providers/ec2/secret-uid")]
    discovery = agg.request("GET", f"{PREFIX}?from=bob", token=RESTRICTED_TOKEN)
    assert discovery.status == 200 and discovery.json == RESOURCES, "discovery is open to every user"
    assert backend.last(f"{PREFIX}?from=bob")["headers"].get_all("X-Remote-User") == ["bob"]


def test_method_body_status_headers_and_chunked_answers_pass_through(agg, backend):
    created = agg.request("POST", f"{PREFIX}/echoes?dryRun=All", {"name": "x"}, token=READER_TOKEN)
    assert created.status == 200
    assert created.json == {"method": "POST", "path": f"{PREFIX}/echoes?dryRun=All", "body": '{"name": "x"}'}
    assert backend.last(f"{PREFIX}/echoes")["headers"]["Content-Type"] == "application/json"
    teapot = agg.request("GET", f"{PREFIX}/teapot")
    assert (teapot.status, teapot.body, teapot.headers["X-Backend"]) == (418, b"short and stout", "teapot")
    assert agg.request("HEAD", f"{PREFIX}/teapot").headers["Content-Length"] == "15"
    chunked = agg.request("GET", f"{PREFIX}/chunked")
    assert chunked.status == 200 and chunked.body == b"one\ntwo\nthree\n"
    assert chunked.headers["Transfer-Encoding"] == "chunked"
    assert agg.request("GET", "/api/v1/namespaces").status == 200, "the connection stays usable after a relay"


def test_answers_stream_through_the_relay(agg, backend):
    conn = agg._connection(timeout=5)  # shorter than the backend's wait: a buffering relay would time out
    try:
        conn.request("GET", f"{PREFIX}/stream", headers={"Authorization": f"Bearer {agg.token}"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.readline() == b"one\n", "the first chunk arrives while the backend is still answering"
        backend.release.set()
        assert response.read() == b"two\nthree\n"
    finally:
        conn.close()


def test_kubectl_discovers_the_group_and_reads_raw_paths(agg):
    assert json.loads(agg.kubectl_ok("get", "--raw", PREFIX)) == RESOURCES
    assert f"{GROUP}/{VERSION}" in agg.kubectl_ok("api-versions").split()
    group = agg.ok("GET", f"/apis/{GROUP}")
    assert group["preferredVersion"] == {"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}
    rows = [line.split() for line in agg.kubectl_ok("api-resources").splitlines()]
    assert ["echoes", f"{GROUP}/{VERSION}", "false", "Echo"] in rows
    assert ["apiservices", "apiregistration.k8s.io/v1", "false", "APIService"] in rows
    echo = json.loads(agg.kubectl_ok("get", "--raw", f"{PREFIX}/providers/ec2/uid-1/vms?query=name%3D%27web%27"))
    assert echo["path"] == f"{PREFIX}/providers/ec2/uid-1/vms?query=name%3D%27web%27"


def test_backend_down_is_unavailable_without_breaking_other_groups(agg, backend):
    dead = f"127.0.0.1:{free_port()}"
    agg.control("POST", "endpoints", {"namespace": "openshift-mtv", "name": "inventory", "address": dead})
    try:
        down = wait_for_condition(agg, "False", "FailedDiscoveryCheck")
        url = f"https://{dead}{PREFIX}"
        assert down["message"] == (f'failing or missing response from {url}: Get "{url}": dial tcp {dead}: connect: '
                                   f'connection refused')
        response = agg.request("GET", f"{PREFIX}/providers")
        assert (response.status, response.body) == (503, b"service unavailable\n")
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "ServiceUnavailable" in agg.kubectl_fails("get", "--raw", f"{PREFIX}/providers")
        assert "kube-system" in agg.kubectl_ok("get", "namespaces")
        resources = agg.kubectl("api-resources")
        assert "namespaces" in resources.stdout and GROUP in resources.stderr
        assert [NAME, "openshift-mtv/inventory", "False", "(FailedDiscoveryCheck)"] in \
            [row.split()[:4] for row in agg.kubectl_ok("get", "apiservices").splitlines()]
    finally:
        agg.control("POST", "endpoints", {"namespace": "openshift-mtv", "name": "inventory", "port": 443,
                                          "address": backend.address})
    wait_for_condition(agg, "True", "Passed")
    assert agg.request("GET", f"{PREFIX}/providers").status == 200


def test_service_not_found_then_missing_endpoints_then_passed(agg, backend):
    name = "v1.probe.example.com"
    agg.ok("POST", APISERVICES, apiservice(name, {"namespace": "default", "name": "probe"},
                                           insecureSkipTLSVerify=True))
    try:
        assert wait_for_condition(agg, "False", "ServiceNotFound", name)["message"] == \
            'service/probe in "default" is not present'
        assert agg.request("GET", "/apis/probe.example.com/v1/things").body == b"service unavailable\n"
        agg.ok("POST", "/api/v1/namespaces/default/services", {"metadata": {"name": "probe"}, "spec": {
            "ports": [{"name": "https", "port": 443, "targetPort": 8443}]}})
        assert wait_for_condition(agg, "False", "MissingEndpoints", name)["message"] == \
            'endpoints for service/probe in "default" have no addresses with port name "https"'
        agg.control("POST", "endpoints", {"namespace": "default", "name": "probe", "address": backend.address})
        wait_for_condition(agg, "True", "Passed", name)
        assert agg.ok("GET", "/apis/probe.example.com/v1/things")["path"] == "/apis/probe.example.com/v1/things"
    finally:
        agg.ok("DELETE", f"{APISERVICES}/{name}")
        agg.ok("DELETE", "/api/v1/namespaces/default/services/probe")
        assert agg.control("DELETE", "endpoints", {"namespace": "default", "name": "probe"}) == {"removed": 1}


def test_backend_certificate_must_name_the_service(agg, backend, ca_bundle):
    name = "v1.other.example.com"
    agg.ok("POST", APISERVICES, apiservice(name, {"namespace": "other", "name": "echo"}, caBundle=ca_bundle))
    agg.control("POST", "endpoints", {"namespace": "other", "name": "echo", "address": backend.address})
    try:
        wait_for_condition(agg, "True", "Passed", name)  # as in Kubernetes 1.32, the check does not verify
        refused = agg.request("GET", "/apis/other.example.com/v1/things")
        assert refused.status == 503
        assert refused.body.decode().startswith("tls: failed to verify certificate: x509: Hostname mismatch")
        assert "echo.other.svc" in refused.body.decode()
        agg.ok("PATCH", f"{APISERVICES}/{name}", {"spec": {"caBundle": None, "insecureSkipTLSVerify": True}},
               headers={"Content-Type": "application/merge-patch+json"})
        assert agg.ok("GET", "/apis/other.example.com/v1/things")["path"] == "/apis/other.example.com/v1/things"
    finally:
        agg.ok("DELETE", f"{APISERVICES}/{name}")
        agg.control("DELETE", "endpoints", {"namespace": "other"})


def test_apiservice_validation(agg, ca_bundle):
    wrong_name = agg.request("POST", APISERVICES, {**apiservice("v1.x.example.com"), "metadata": {"name": "other"}})
    assert wrong_name.status == 422
    assert 'metadata.name: Invalid value: "other": must be `spec.version+"."+spec.group`: "v1.x.example.com"' in \
        wrong_name.json["message"]
    body = apiservice("v1.x.example.com", {"namespace": "ns", "name": ""}, caBundle=ca_bundle,
                      insecureSkipTLSVerify=True, versionPriority=0)
    messages = {c["field"]: c["message"] for c in agg.request("POST", APISERVICES, body).json["details"]["causes"]}
    assert messages == {"spec.versionPriority": "Invalid value: 0: must be positive and less than 1000",
                        "spec.service.name": "Required value",
                        "spec.insecureSkipTLSVerify": "Invalid value: true: may not be true if caBundle is present"}


def test_endpoint_control_api_and_flag(agg, backend):
    endpoints = agg.control("GET", "endpoints")["endpoints"]
    assert {"namespace": "openshift-mtv", "name": "inventory", "port": 443, "address": backend.address} in endpoints
    assert agg.request("POST", "/__fake/endpoints", {"namespace": "x", "name": "y"}, token=None).status == 400
    assert agg.request("POST", "/__fake/endpoints", {"namespace": "x", "name": "y", "address": "nowhere"},
                       token=None).status == 400
    assert agg.control("POST", "endpoints", {"namespace": "x", "name": "y", "port": 8443, "address": "[::1]:9"})[
        "endpoint"] == {"namespace": "x", "name": "y", "port": 8443, "address": "[::1]:9"}
    assert agg.control("DELETE", "endpoints", {"namespace": "x", "port": 8443}) == {"removed": 1}
    bad = subprocess.run([str(LAUNCHER), "--service-endpoint", "inventory:443=127.0.0.1:1"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode == 2 and "is not NAMESPACE/NAME:PORT=HOST:PORT" in bad.stderr


def test_without_front_proxy_flags_proxying_names_them(kube):
    name = "v1.noproxy.example.com"
    kube.ok("POST", APISERVICES, apiservice(name, {"namespace": "default", "name": "noproxy"},
                                            insecureSkipTLSVerify=True))
    kube.control("POST", "endpoints", {"namespace": "default", "name": "noproxy",
                                       "address": f"127.0.0.1:{free_port()}"})
    try:
        down = wait_for_condition(kube, "False", "FailedDiscoveryCheck", name)
        flags = "--requestheader-client-cert, --requestheader-client-key and --requestheader-ca"
        assert down["message"] == f"fake-kube-apiserver runs without {flags}"
        response = kube.request("GET", "/apis/noproxy.example.com/v1/things")
        assert response.status == 503 and flags in response.body.decode()
        assert kube.request("GET", "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication"
                            ).status == 404, "no client CA and no request-header CA: nothing to publish"
    finally:
        kube.ok("DELETE", f"{APISERVICES}/{name}")
        kube.control("DELETE", "endpoints", {"namespace": "default", "name": "noproxy"})
