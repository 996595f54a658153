"""A moto that checks signatures behind the proxy: requests the proxy edits (state filters it evaluates itself) are
verified and signed again, so they pass with the right key and fail with a wrong one, as on AWS."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import Moto, Proxy

KEY = ("AKIASIGNINGTEST00001", "signing-test-secret")


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("signing")
    users = tmp / "users.json"
    users.write_text(json.dumps([{"account": "123456789012", "user": "t", "accessKeyId": KEY[0],
                                  "secretAccessKey": KEY[1]}]))
    moto = Moto(tmp, "--iam-users", str(users), name="signed-moto")
    proxy = Proxy(tmp, moto.url, "--state-delays", "volume=30", "--credentials", str(users), name="signed-proxy")
    yield proxy
    proxy.stop()
    moto.stop()


def ec2(url: str, secret: str = KEY[1]):
    return boto3.client("ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id=KEY[0],
                        aws_secret_access_key=secret)


def test_edited_request_is_signed_again(signed):
    client = ec2(signed.url)
    volume = client.create_volume(AvailabilityZone="us-east-1a", Size=1,
                                  TagSpecifications=[{"ResourceType": "volume",
                                                      "Tags": [{"Key": "Name", "Value": "a name with spaces"}]}])
    vid = volume["VolumeId"]
    # While the proxy shows the volume 'creating', it removes the status filter and signs the request again.
    creating = client.describe_volumes(Filters=[{"Name": "status", "Values": ["creating"]},
                                                {"Name": "tag:Name", "Values": ["a name with spaces"]}])
    assert [v["VolumeId"] for v in creating["Volumes"]] == [vid]
    available = client.describe_volumes(Filters=[{"Name": "status", "Values": ["available"]}])
    assert vid not in [v["VolumeId"] for v in available["Volumes"]]


def test_wrong_secret_fails_even_when_the_proxy_edits(signed):
    client = ec2(signed.url, secret="not-the-secret")
    with pytest.raises(ClientError) as failure:
        client.describe_volumes(Filters=[{"Name": "status", "Values": ["creating"]}])
    assert failure.value.response["Error"]["Code"] == "AuthFailure"
    with pytest.raises(ClientError) as plain:
        client.describe_vpcs()
    assert plain.value.response["Error"]["Code"] == "AuthFailure"
