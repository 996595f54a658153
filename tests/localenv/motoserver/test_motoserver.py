"""scripts/moto-server: moto's answers are unchanged by the tag index, and it serves like moto_server."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts" / "localenv"))

from motoserver import index_single_resource_tags  # noqa: E402

FILTERS = [
    None,
    {"resource-id": ["{instance}"]},
    {"resource-id": ["{volume}"]},
    {"resource-id": ["i-doesnotexist"]},
    {"resource-id": ["i-*"]},
    {"resource-id": ["{instance}", "{volume}"]},
    {"resource-id": ["{instance}"], "key": ["Name"]},
    {"key": ["team"]},
    {"value": ["blue*"]},
    {"resource-type": ["volume"]},
]


@mock_aws
def test_index_answers_exactly_what_the_scan_answers():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instances = ec2.run_instances(ImageId=image, MinCount=3, MaxCount=3)["Instances"]
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    for n, instance in enumerate(instances):
        ec2.create_tags(Resources=[instance["InstanceId"]], Tags=[{"Key": "Name", "Value": f"vm-{n}"},
                                                                  {"Key": "team", "Value": f"blue-{n}"}])
    ec2.create_tags(Resources=[volume], Tags=[{"Key": "team", "Value": "blue-volume"}])
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.tags import TagBackend

    backend = ec2_backends["123456789012"]["us-east-1"]
    names = {"instance": instances[1]["InstanceId"], "volume": volume}
    queries = [None if f is None else {k: [v.format(**names) for v in vs] for k, vs in f.items()} for f in FILTERS]
    scan = TagBackend.describe_tags
    expected = [scan(backend, query) for query in queries]
    try:
        index_single_resource_tags()
        assert TagBackend.describe_tags is not scan
        answered = [TagBackend.describe_tags(backend, query) for query in queries]
    finally:
        TagBackend.describe_tags = scan
    assert answered == expected
    assert [len(a) for a in answered[:4]] == [7, 2, 1, 0]


@pytest.fixture
def server(tmp_path):
    """scripts/moto-server on a port the kernel picks, read from its port file."""
    port_file = tmp_path / "moto.port"
    with open(tmp_path / "moto.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "moto-server"), "-H", "127.0.0.1",
                                 "--port-file", str(port_file)], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not port_file.exists():
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "moto.log").read_text()
                time.sleep(0.05)
            yield f"http://127.0.0.1:{int(port_file.read_text())}"
        finally:
            proc.terminate()
            proc.wait(10)


def test_launcher_serves_ec2_with_tags(server):
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=server,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2,
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "one"}]}])
    reservations = ec2.describe_instances()["Reservations"]
    tags = [instance["Tags"] for r in reservations for instance in r["Instances"]]
    assert tags == [[{"Key": "Name", "Value": "one"}]] * 2
