"""Fixtures for the fake-kube-apiserver conformance tests.

Each server runs as a subprocess on a free loopback port and is stopped by its PID. Tests talk to it with the
real kubectl (KUBECONFIG pointing at the kubeconfig the server wrote, a private cache dir) and with raw HTTP.
"""

import http.client
import itertools
import json
import os
import shutil
import signal
import ssl
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
LAUNCHER = REPO / "scripts" / "fake-kube-apiserver"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"

RESTRICTED_TOKEN = "restricted-token"
REVIEWER_TOKEN = "reviewer-token"
TOKENS = {
    RESTRICTED_TOKEN: {"username": "bob", "groups": ["viewers"], "rules": [
        {"verbs": ["get", "list", "watch"], "apiGroups": ["forklift.konveyor.io"], "resources": ["plans"],
         "namespaces": ["openshift-mtv"]},
        {"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"], "resourceNames": ["visible"]}]},
    REVIEWER_TOKEN: {"username": "system:serviceaccount:openshift-mtv:inventory", "groups": ["system:serviceaccounts"],
                     "rules": [{"verbs": ["create"], "apiGroups": ["authentication.k8s.io", "authorization.k8s.io"],
                                "resources": ["tokenreviews", "subjectaccessreviews"]}]},
}


def wait_for(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Poll `predicate` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


class WatchStream:
    """A raw watch connection: `next_event()` returns the next decoded event (or None at the end of the stream)."""

    def __init__(self, conn, response):
        self.conn, self.response = conn, response

    def next_event(self):
        line = self.response.readline()
        return json.loads(line) if line.strip() else None

    def events_until(self, predicate, limit=50):
        events = []
        for _ in range(limit):
            event = self.next_event()
            if event is None:
                break
            events.append(event)
            if predicate(event):
                return events
        raise AssertionError(f"stream ended without the expected event: {events}")

    def close(self):
        self.conn.close()


class FakeKube:
    """One running server and the ways to talk to it."""

    _names = itertools.count(1)

    def __init__(self, workdir, *extra_args, tls=None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port_file = self.dir / "port"
        self.kubeconfig = self.dir / "kubeconfig"
        self.log = self.dir / "server.log"
        self.tls = tls
        args = [str(LAUNCHER), "--host", "127.0.0.1", "--port", "0", "--port-file", str(self.port_file),
                "--kubeconfig", str(self.kubeconfig), "--log", str(self.log), *extra_args]
        if tls:
            args += ["--tls-cert", tls["server_crt"], "--tls-key", tls["server_key"], "--tls-ca", tls["ca_crt"],
                     "--client-ca", tls["ca_crt"]]
        self.stdout = open(self.dir / "stdout", "w")
        self.proc = subprocess.Popen(args, stdout=self.stdout, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: self.port_file.exists() or self.proc.poll() is not None, 15, message="port file")
        except AssertionError:
            self.stop()
            raise
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited: {(self.dir / 'stdout').read_text()}")
        self.port = int(self.port_file.read_text())
        self.token = next(line.split('"')[1] for line in self.kubeconfig.read_text().splitlines()
                          if line.strip().startswith("token:"))
        self.home = self.dir / "home"
        self.home.mkdir(exist_ok=True)

    # --- lifecycle ---------------------------------------------------------------------------------------------------

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.stdout.close()

    # --- raw HTTP ----------------------------------------------------------------------------------------------------

    def _connection(self, timeout=10, cert=None):
        if self.tls:
            context = ssl.create_default_context(cafile=self.tls["ca_crt"])
            if cert:
                context.load_cert_chain(*cert)
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token="admin", cert=None, raw=None):
        """One request; `token="admin"` uses the admin token, None sends no Authorization header."""
        headers = dict(headers or {})
        if token == "admin":
            token = self.token
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        conn = self._connection(cert=cert)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            conn.close()

    def ok(self, method, path, body=None, **kwargs):
        response = self.request(method, path, body, **kwargs)
        assert 200 <= response.status < 300, response
        return response.json

    def watch(self, path, headers=None, token="admin", timeout=30):  # generous: CI machines can be slow
        headers = dict(headers or {})
        if token == "admin":
            headers["Authorization"] = f"Bearer {self.token}"
        conn = self._connection(timeout=timeout)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        assert response.status == 200, response.read()
        assert response.headers["Content-Type"] == "application/json"
        return WatchStream(conn, response)

    def control(self, method, path, body=None):
        response = self.request(method, f"/__fake/{path}", body, token=None)
        assert response.status < 300, response
        return response.json

    def wait_for_watch(self, fragment, timeout=10):
        return wait_for(lambda: [w for w in self.control("GET", "watches")["watches"] if fragment in w["path"]],
                        timeout, message=f"a watch on {fragment}")

    # --- kubectl -----------------------------------------------------------------------------------------------------

    def kubectl_env(self, kubeconfig=None):
        return {**os.environ, "KUBECONFIG": str(kubeconfig or self.kubeconfig), "HOME": str(self.home)}

    def kubectl(self, *args, input=None, kubeconfig=None, timeout=30):
        """Run kubectl; returns the CompletedProcess (stdout and stderr as text)."""
        return subprocess.run([KUBECTL, "--cache-dir", str(self.dir / "kubectl-cache"), *args], input=input,
                              capture_output=True, text=True, env=self.kubectl_env(kubeconfig), timeout=timeout)

    def kubectl_ok(self, *args, **kwargs):
        result = self.kubectl(*args, **kwargs)
        assert result.returncode == 0, f"kubectl {' '.join(args)} failed: {result.stderr}"
        return result.stdout

    def kubectl_fails(self, *args, **kwargs):
        result = self.kubectl(*args, **kwargs)
        assert result.returncode != 0, f"kubectl {' '.join(args)} unexpectedly succeeded: {result.stdout}"
        return result.stderr

    def kubectl_stream(self, *args):
        """Start a long-running kubectl (e.g. `get -w`); returns a KubectlStream."""
        return KubectlStream(subprocess.Popen(
            [KUBECTL, "--cache-dir", str(self.dir / "kubectl-cache"), *args], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env=self.kubectl_env()))

    # --- objects -----------------------------------------------------------------------------------------------------

    def namespace(self, prefix="t"):
        name = f"{prefix}-{next(self._names)}-{uuid.uuid4().hex[:6]}"
        self.ok("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        return name


class KubectlStream:
    """kubectl running in the background; its output is collected by a reader thread."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_lines(self, predicate, timeout=10):
        return wait_for(lambda: predicate(self.lines), timeout, message=f"kubectl output; got {self.lines}")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        return self.lines


@pytest.fixture(scope="session")
def tokens_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tokens") / "tokens.json"
    path.write_text(json.dumps(TOKENS))
    return path


@pytest.fixture(scope="session")
def kube(tmp_path_factory, tokens_file):
    """The shared server: devenv seed, fast pods and bookmarks, a token table."""
    server = FakeKube(tmp_path_factory.mktemp("fakekube"), "--seed", "devenv", "--tokens", str(tokens_file),
                      "--aws-access-key-id", "AKIDEXAMPLE", "--aws-secret-access-key", "secret/key+value",
                      "--pod-delay", "1.0", "--pod-start-delay", "0.2", "--vm-start-delay", "0.2",
                      "--bookmark-interval", "0.3")
    yield server
    server.stop()


@pytest.fixture
def ns(kube):
    """A fresh namespace on the shared server."""
    return kube.namespace()


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory):
    """A throwaway CA, a server certificate for 127.0.0.1 and client certificates, made with the openssl CLI."""
    d = tmp_path_factory.mktemp("tls")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=fakekube-test-ca")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, subject, ext in (("server", "/CN=127.0.0.1", ["-extfile", "san.ext"]),
                               ("admin", "/O=system:masters/CN=carol", []),
                               ("alice", "/O=team-a/CN=alice", [])):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            f"{name}.crt", "-days", "2", *ext)
    return {key: str(d / f"{stem}") for key, stem in (
        ("ca_crt", "ca.crt"), ("server_crt", "server.crt"), ("server_key", "server.key"),
        ("admin_crt", "admin.crt"), ("admin_key", "admin.key"), ("alice_crt", "alice.crt"),
        ("alice_key", "alice.key"))} | {"dir": str(d)}


@pytest.fixture(scope="module")
def tls_kube(tmp_path_factory, tls_material, tokens_file):
    server = FakeKube(tmp_path_factory.mktemp("fakekube-tls"), "--seed", "none", "--tokens", str(tokens_file),
                      tls=tls_material)
    yield server
    server.stop()
