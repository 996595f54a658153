"""scripts/devenv: up/down contract, env.sh, seeded cluster, bad input. Runs the real script, kubectl and the AWS CLI."""

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DEVENV = REPO / "scripts" / "devenv"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


def run(*args, env=None, check=False, timeout=120):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}): {result.stdout}\n{result.stderr}")
    return result


def env_of(directory):
    """The variables env.sh exports, on top of this process's environment."""
    env = dict(os.environ)
    for line in (Path(directory) / "env.sh").read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            env[name] = value.strip("'")
    env["KUBECACHEDIR"] = str(Path(directory) / "kubecache")
    return env


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(")")[-1].split()[0] != "Z"


@pytest.fixture(scope="module")
def devenv(tmp_path_factory):
    """One environment without the controller, shared by the read-only tests of this module."""
    directory = tmp_path_factory.mktemp("devenv") / "nested" / "dir"
    run(DEVENV, "up", directory, "--no-controller", check=True)
    yield directory
    run(DEVENV, "down", directory)


def test_up_creates_the_directory_and_writes_env(devenv):
    text = (devenv / "env.sh").read_text()
    for name in ("KUBECONFIG", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "EC2_PROXY_CONTROL_URL",
                 "FAKE_KUBE_CONTROL_URL", "MTV_ISOLATED_ACCOUNT", "MTV_CROSS_ACCOUNT", "MTV_CROSS_KEY_ID",
                 "MTV_CROSS_SECRET"):
        assert f"export {name}=" in text
    assert "export MTV_CROSS_ACCOUNT='345678901234'" in text
    assert "export AWS_DEFAULT_REGION='us-east-1'" in text
    assert "INVENTORY_URL" not in text, "no controller was started"
    pids = json.loads((devenv / "pids.json").read_text())
    assert set(pids) == {"moto", "ec2-proxy", "fake-kube-apiserver"}
    assert all(alive(p["pid"]) for p in pids.values())
    assert (devenv / "logs" / "moto.log").exists()


def test_cluster_is_seeded_and_reachable_with_kubectl(devenv):
    env = env_of(devenv)
    nodes = run(KUBECTL, "get", "nodes", "-l", "node-role.kubernetes.io/worker", "-o", "json", env=env, check=True)
    items = json.loads(nodes.stdout)["items"]
    assert len(items) == 3
    assert {n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in items} == {"us-east-1c"}
    classes = json.loads(run(KUBECTL, "get", "sc", "-o", "json", env=env, check=True).stdout)["items"]
    provisioners = {c["metadata"]["name"]: c["provisioner"] for c in classes}
    assert provisioners["gp3-csi"] == provisioners["gp2-csi"] == "ebs.csi.aws.com"
    assert provisioners["ocs-storagecluster-ceph-rbd"] != "ebs.csi.aws.com"
    host = json.loads(run(KUBECTL, "get", "provider", "host", "-n", "openshift-mtv", "-o", "json", env=env,
                          check=True).stdout)
    assert host["spec"]["type"] == "openshift"
    secret = json.loads(run(KUBECTL, "get", "secret", "aws-creds", "-n", "kube-system", "-o", "json", env=env,
                            check=True).stdout)
    assert set(secret["data"]) >= {"aws_access_key_id", "aws_secret_access_key"}


def test_kubectl_create_f_a_secret_without_flags(devenv, tmp_path):
    manifest = tmp_path / "secret.yaml"
    manifest.write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: from-file\n  namespace: default\n"
                        "stringData:\n  region: us-east-1\n")
    result = run(KUBECTL, "create", "-f", manifest, env=env_of(devenv))
    assert result.returncode == 0, result.stderr
    assert "secret/from-file created" in result.stdout


def test_aws_cli_reaches_moto_through_the_proxy(devenv):
    env = env_of(devenv)
    result = run("aws", "ec2", "describe-availability-zones", "--output", "json", env=env, check=True)
    zones = [z["ZoneName"] for z in json.loads(result.stdout)["AvailabilityZones"]]
    assert "us-east-1c" in zones
    calls = json.loads(run("curl", "-s", env["EC2_PROXY_CONTROL_URL"] + "/calls", check=True).stdout)
    assert calls["by_action"].get("DescribeAvailabilityZones", 0) >= 1


def test_up_twice_refuses_while_running(devenv):
    result = run(DEVENV, "up", devenv, "--no-controller")
    assert result.returncode != 0
    assert "still running" in result.stderr and "down" in result.stderr


def test_up_without_directory_is_a_usage_error():
    result = run(DEVENV, "up")
    assert result.returncode != 0
    assert "DIR" in result.stderr


def test_down_of_an_unknown_directory_says_so(tmp_path):
    result = run(DEVENV, "down", tmp_path / "never-started")
    assert result.returncode != 0
    assert "no environment recorded" in result.stderr


def test_down_stops_exactly_what_up_started_and_the_controller_answers(tmp_path):
    controller = REPO / ".build" / "debug" / "mtv-controller"
    if not controller.exists():
        if os.environ.get("CI"):
            pytest.fail("mtv-controller is not built; CI builds it before the Python suites (make build-debug)")
        pytest.skip("mtv-controller is not built (make build-debug)")
    directory = tmp_path / "full"
    run(DEVENV, "up", directory, env=dict(os.environ, MTV_CONTROLLER_BIN=str(controller)), check=True)
    env = env_of(directory)
    assert "MTV_INVENTORY_URL" not in env, "kubectl mtv finds the inventory through the API server"
    health = run("curl", "-s", "--cacert", env["FAKE_KUBE_CA"], env["MTV_DEVENV_INVENTORY_URL"] + "/healthz",
                 check=True)
    assert health.stdout.strip() == "ok"
    plain = run("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                env["MTV_DEVENV_INVENTORY_URL"].replace("https:", "http:") + "/healthz")
    assert plain.stdout != "200", "the controller serves HTTPS only"
    kubectl = ["kubectl", "--kubeconfig", env["KUBECONFIG"]]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        available = run(*kubectl, "get", "apiservice", "v1beta1.inventory.forklift.konveyor.io", "-o",
                        "jsonpath={.status.conditions[?(@.type=='Available')].status}")
        if available.stdout == "True":
            break
        time.sleep(0.5)
    assert available.stdout == "True", available.stdout + available.stderr
    discovery = json.loads(run(*kubectl, "get", "--raw", "/apis/inventory.forklift.konveyor.io/v1beta1",
                               check=True).stdout)
    assert discovery["groupVersion"] == "inventory.forklift.konveyor.io/v1beta1"
    pids = [p["pid"] for p in json.loads((directory / "pids.json").read_text()).values()]
    assert len(pids) == 4
    run(DEVENV, "down", directory, check=True)
    assert not any(alive(pid) for pid in pids)
    assert not (directory / "pids.json").exists()
