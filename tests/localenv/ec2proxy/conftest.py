"""Fixtures: one moto server and one proxy per session, both real processes
on 127.0.0.1 free ports, stopped by PID; moto and the proxy are reset before
every test."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parents[3]
PROXY = REPO / "scripts" / "ec2-proxy"
MOTO = REPO / "scripts" / "moto-server"
SEED = REPO / "scripts" / "seed-fleet"
ACCOUNT = "123456789012"
CLI_DELAYS = "stop=0,start=0,snapshot=0,volume=0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


def stop_process(proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 10) -> int:
    """Stop one process we started, by its PID (SIGKILL if it lingers)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
    return proc.returncode


def http_json(method: str, url: str, body=None, timeout: float = 10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Moto:
    def __init__(self, tmp: Path, *extra: str, name: str = "moto"):
        self.log = open(tmp / f"{name}.log", "wb")
        port_file = tmp / f"{name}.port"
        self.proc = subprocess.Popen(
            [sys.executable, str(MOTO), "-H", "127.0.0.1", "--port-file", str(port_file), *extra],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=tmp,
        )
        self.port = int(wait_for(lambda: self._port(port_file), 30, "moto_server"))
        self.url = f"http://127.0.0.1:{self.port}"

    def _port(self, port_file: Path) -> str | None:
        if self.proc.poll() is not None:
            raise RuntimeError("moto_server exited")
        return port_file.read_text().strip() if port_file.exists() else None

    def reset(self) -> None:
        req = urllib.request.Request(self.url + "/moto-api/reset", data=b"", method="POST")
        for attempt in range(3):
            try:
                urllib.request.urlopen(req, timeout=30).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"moto_server (pid {self.proc.pid}) exited with status "
                                       f"{self.proc.returncode}; was it killed from outside?") from None
                if attempt == 2:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


class Proxy:
    """A running scripts/ec2-proxy and helpers for its control API."""

    def __init__(self, tmp: Path, upstream: str, *extra: str, name: str = "proxy"):
        self.port_file = tmp / f"{name}.port"
        self.log_file = tmp / f"{name}.calls.jsonl"
        self.stderr_path = tmp / f"{name}.stderr"
        with contextlib.suppress(FileNotFoundError):
            self.port_file.unlink()
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(PROXY), "--upstream", upstream, "--host", "127.0.0.1", "--port", "0",
             "--port-file", str(self.port_file), "--log", str(self.log_file), *extra],
            stdout=subprocess.DEVNULL, stderr=self.stderr,
        )
        wait_for(self._port, 15, "proxy port file")
        self.url = f"http://127.0.0.1:{self.port}"

    def _port(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError("proxy exited: " + self.stderr_path.read_text())
        if self.port_file.exists():
            text = self.port_file.read_text().strip()
            if text:
                self.port = int(text)
                return True
        return False

    def stop(self, sig=signal.SIGTERM) -> int:
        rc = stop_process(self.proc, sig)
        self.stderr.close()
        return rc

    # control API
    def get(self, path: str):
        return http_json("GET", self.url + "/__proxy/" + path)

    def post(self, path: str, body=None):
        return http_json("POST", self.url + "/__proxy/" + path, body if body is not None else {})

    def delete(self, path: str):
        return http_json("DELETE", self.url + "/__proxy/" + path)

    def arm(self, **spec):
        status, out = self.post("faults", spec)
        assert status == 201, out
        return out["faults"][0]

    def timings(self, **t):
        status, out = self.post("timings", t)
        assert status == 200, out
        return out

    def clock(self, **spec):
        """Freezes (freeze=True), moves (advance=seconds) or releases the clock resource states follow."""
        status, out = self.post("clock", spec)
        assert status == 200, out
        return out

    def calls(self, **q):
        qs = "&".join(f"{k}={v}" for k, v in q.items())
        return self.get("calls" + ("?" + qs if qs else ""))[1]

    def resources(self, **q):
        qs = "&".join(f"{k}={v}" for k, v in q.items())
        return self.get("resources" + ("?" + qs if qs else ""))[1]["resources"]


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ec2proxy")


@pytest.fixture(scope="session")
def moto(workdir):
    m = Moto(workdir)
    yield m
    m.stop()


@pytest.fixture(scope="session")
def proxy_process(workdir, moto):
    p = Proxy(workdir, moto.url, "--state-delays", CLI_DELAYS, "--seed", "42")
    yield p
    p.stop()


@pytest.fixture
def proxy(proxy_process, moto):
    moto.reset()
    status, _ = proxy_process.post("reset")
    assert status == 200
    return proxy_process


def client(service: str, url: str, region: str = "us-east-1", account: str | None = None,
           key: tuple[str, str] = ("AKIAIOSFODNN7EXAMPLE", "testing")):
    """A boto3 client of `url` with one attempt per call; `key` (ID, secret) signs, `account` sets x-moto-account-id."""
    c = boto3.client(
        service, endpoint_url=url, region_name=region, aws_access_key_id=key[0], aws_secret_access_key=key[1],
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )
    if account:
        def add_header(request, **kwargs):
            request.headers["x-moto-account-id"] = account
        c.meta.events.register("before-sign", add_header)
    return c


@pytest.fixture
def ec2(proxy):
    return client("ec2", proxy.url)


@pytest.fixture
def sts(proxy):
    return client("sts", proxy.url)


def raw_call(url: str, action: str, params: dict | None = None, service: str = "ec2",
             region: str = "us-east-1", conn: http.client.HTTPConnection | None = None,
             headers: dict | None = None):
    """A query-protocol call with a plausible (unchecked) SigV4 header.
    Returns (status, headers, body); uses ``conn`` when given (keep-alive)."""
    form = {"Action": action, "Version": "2011-06-15" if service == "sts" else "2016-11-15"}
    form.update(params or {})
    body = urllib.parse.urlencode(form).encode()
    host = url.split("//", 1)[1]
    hdrs = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/{region}/{service}/"
                         "aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        "X-Amz-Date": "20260101T000000Z",
    }
    hdrs.update(headers or {})
    own = conn is None
    if own:
        h, p = host.split(":")
        conn = http.client.HTTPConnection(h, int(p), timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=hdrs)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        if own:
            conn.close()


@pytest.fixture
def linux_ami(ec2):
    return "ami-760aaa0f" if _image_exists(ec2, "ami-760aaa0f") else ec2.describe_images(
        Filters=[{"Name": "architecture", "Values": ["x86_64"]}])["Images"][0]["ImageId"]


def _image_exists(ec2, ami: str) -> bool:
    try:
        return bool(ec2.describe_images(ImageIds=[ami])["Images"])
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def instance(ec2, linux_ami):
    r = ec2.run_instances(ImageId=linux_ami, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    return r["Instances"][0]["InstanceId"]


# Helpers as fixtures (test modules cannot import conftest under importlib mode).
@pytest.fixture
def raw():
    return raw_call


@pytest.fixture
def make_client():
    return client


@pytest.fixture
def start_proxy(workdir):
    """Start extra proxies (stopped at teardown): start_proxy(upstream, *args)."""
    started: list[Proxy] = []
    n = [0]

    def start(upstream: str, *args: str) -> Proxy:
        n[0] += 1
        p = Proxy(workdir, upstream, *args, name=f"extra{len(started)}-{time.monotonic_ns()}")
        started.append(p)
        return p

    yield start
    for p in started:
        if p.proc.poll() is None:
            p.stop()


@pytest.fixture
def helpers():
    return {"wait_for": wait_for, "free_port": free_port, "http_json": http_json,
            "stop_process": stop_process, "repo": REPO, "seed": SEED}
