"""Behaviour of scripts/ec2-proxy in front of a real moto_server."""

from __future__ import annotations

import http.client
import json
import random
import re
import signal
import socket
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def err(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def instance_state(ec2, iid: str) -> tuple[str, int]:
    st = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]
    return st["Name"], st["Code"]


def ids_with_state_filter(ec2, name: str) -> set[str]:
    res = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": [name]}])
    return {i["InstanceId"] for r in res["Reservations"] for i in r["Instances"]}


# ------------------------------------------------------------------ pass-through
def test_passthrough_ec2_and_sts(proxy, moto, ec2, sts, make_client):
    direct = make_client("ec2", moto.url)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    assert vpc in {v["VpcId"] for v in direct.describe_vpcs()["Vpcs"]}
    assert {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]} == {v["VpcId"] for v in direct.describe_vpcs()["Vpcs"]}
    ident = sts.get_caller_identity()
    assert ident["Account"] == "123456789012"
    # the x-moto-account-id header reaches moto: another account, its own VPCs
    other_sts = make_client("sts", proxy.url, account="111122223333")
    assert other_sts.get_caller_identity()["Account"] == "111122223333"
    other_ec2 = make_client("ec2", proxy.url, account="111122223333")
    assert vpc not in {v["VpcId"] for v in other_ec2.describe_vpcs()["Vpcs"]}
    # region from the credential scope reaches moto
    eu = make_client("ec2", proxy.url, region="eu-west-1")
    zones = {z["ZoneName"] for z in eu.describe_availability_zones()["AvailabilityZones"]}
    assert zones and all(z.startswith("eu-west-1") for z in zones)


def test_passthrough_other_paths(proxy, moto, ec2):
    # moto's own API (not AWS) is forwarded as well, GET and unsigned
    ec2.create_vpc(CidrBlock="10.8.0.0/16")
    with urllib.request.urlopen(proxy.url + "/moto-api/data.json", timeout=30) as r:
        assert r.status == 200
        data = json.loads(r.read())
    assert "ec2" in data
    assert proxy.calls()["by_action"]["unknown:GET /moto-api"] == 1


# ---------------------------------------------------------------------- counters
def test_counters_per_action_and_account(proxy, ec2, sts, make_client):
    for _ in range(3):
        ec2.describe_vpcs()
    ec2.describe_subnets()
    sts.get_caller_identity()
    other = make_client("ec2", proxy.url, account="111122223333")
    other.describe_vpcs()
    other.describe_vpcs()
    calls = proxy.calls()
    assert calls["by_action"]["DescribeVpcs"] == 5
    assert calls["by_action"]["DescribeSubnets"] == 1
    assert calls["by_action"]["GetCallerIdentity"] == 1
    assert calls["total"] == 7
    assert calls["by_service"] == {"ec2": 6, "sts": 1}
    assert calls["by_account"]["111122223333"] == {"DescribeVpcs": 2}
    one = proxy.calls(account="111122223333")
    assert one == {"account": "111122223333", "total": 2, "by_action": {"DescribeVpcs": 2}, "ebs_bytes": 0,
                   "ebs_blocks": 0}
    assert proxy.calls(action="DescribeVpcs")["count"] == 5
    status, _ = proxy.post("calls/reset")
    assert status == 200
    assert proxy.calls()["total"] == 0


def test_call_log_records_ids_filters_status_and_faults(proxy, ec2, instance):
    proxy.arm(action="DescribeVolumes", code="InternalError", status=500, count=1)
    with pytest.raises(ClientError):
        ec2.describe_volumes()
    ec2.describe_instances(InstanceIds=[instance], Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}])
    entries = proxy.get("log")[1]["entries"]
    actions = [e["action"] for e in entries]
    assert actions[-3:] == ["RunInstances", "DescribeVolumes", "DescribeInstances"]
    dv, di = entries[-2], entries[-1]
    assert dv["status"] == 500 and dv["fault"]["code"] == "InternalError"
    assert di["status"] == 200 and di["fault"] is None
    assert di["params"]["InstanceId.1"] == instance
    assert di["filters"] == ["instance-type"]
    assert di["ts"] <= time.time() and di["ms"] >= 0
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    only = proxy.get("log?action=DescribeInstances&limit=1")[1]["entries"]
    assert len(only) == 1 and only[0]["seq"] == di["seq"]
    # the --log file has the same calls as JSON lines
    text = proxy.log_file.read_text()
    assert instance in text


# ------------------------------------------------------------------------ errors
def test_error_by_count_ec2_envelope(proxy, ec2, raw):
    fault = proxy.arm(action="DescribeInstances", code="RequestLimitExceeded", status=503, count=2)
    assert fault["remaining"] == 2
    status, headers, body = raw(proxy.url, "DescribeInstances")
    assert status == 503
    root = ET.fromstring(body)
    assert root.tag == "Response"
    assert root.findtext("Errors/Error/Code") == "RequestLimitExceeded"
    assert root.findtext("Errors/Error/Message") == "Request limit exceeded."
    assert UUID_RE.match(root.findtext("RequestID"))
    with pytest.raises(ClientError) as e:
        ec2.describe_instances()
    assert err(e.value) == ("RequestLimitExceeded", 503)
    ec2.describe_instances()  # third call goes through
    ec2.describe_vpcs()  # other actions never matched
    f = proxy.get("faults")[1]["faults"][0]
    assert (f["fired"], f["remaining"], f["exhausted"], f["matched"]) == (2, 0, True, 3)
    assert proxy.calls()["injected"] == {"DescribeInstances": 2}


@pytest.mark.parametrize("code,status", [("UnauthorizedOperation", 403), ("AuthFailure", 401),
                                         ("InvalidParameterValue", 400), ("InternalError", 500)])
def test_error_codes_and_statuses(proxy, ec2, code, status):
    proxy.arm(action="DescribeVpcs", code=code, status=status, count=1, message=f"injected {code}")
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs()
    assert err(e.value) == (code, status)
    assert e.value.response["Error"]["Message"] == f"injected {code}"


def test_wildcard_fault_matches_every_action(proxy, ec2, sts):
    proxy.arm(action="*", code="InternalError", count=2)
    with pytest.raises(ClientError):
        ec2.describe_vpcs()
    with pytest.raises(ClientError):
        sts.get_caller_identity()
    ec2.describe_vpcs()
    proxy.delete("faults")
    proxy.arm(action="sts:*", code="Throttling", count=1)
    ec2.describe_vpcs()
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err(e.value) == ("Throttling", 400)


def _pattern(proxy, ec2, n: int) -> list[bool]:
    out = []
    for _ in range(n):
        try:
            ec2.describe_vpcs()
            out.append(False)
        except ClientError as e:
            assert err(e) == ("InternalError", 500)
            out.append(True)
    return out


def test_error_by_probability_is_seeded(proxy, ec2):
    proxy.arm(action="DescribeVpcs", code="InternalError", status=500, probability=0.5, seed=7)
    first = _pattern(proxy, ec2, 24)
    rng = random.Random(7)
    assert first == [rng.random() < 0.5 for _ in range(24)]
    assert 0 < sum(first) < 24
    proxy.delete("faults")
    proxy.arm(action="DescribeVpcs", code="InternalError", status=500, probability=0.5, seed=7)
    assert _pattern(proxy, ec2, 24) == first
    f = proxy.get("faults")[1]["faults"][0]
    assert f["fired"] == sum(first) and f["matched"] == 24


def test_probability_uses_command_line_seed(proxy, ec2):
    # the session proxy runs with --seed 42
    proxy.arm(action="DescribeVpcs", code="InternalError", probability=0.3)
    rng = random.Random(42)
    assert _pattern(proxy, ec2, 20) == [rng.random() < 0.3 for _ in range(20)]


def test_probability_and_count_together(proxy, ec2):
    proxy.arm(action="DescribeVpcs", code="InternalError", probability=1.0, count=3)
    assert _pattern(proxy, ec2, 5) == [True, True, True, False, False]


def test_sts_error_envelope(proxy, sts, raw):
    proxy.arm(action="GetCallerIdentity", code="ExpiredToken", status=400,
              message="The security token included in the request is expired", count=2)
    status, _, body = raw(proxy.url, "GetCallerIdentity", service="sts")
    assert status == 400
    root = ET.fromstring(body)
    ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
    assert root.tag == "{https://sts.amazonaws.com/doc/2011-06-15/}ErrorResponse"
    assert root.findtext("s:Error/s:Type", namespaces=ns) == "Sender"
    assert root.findtext("s:Error/s:Code", namespaces=ns) == "ExpiredToken"
    assert UUID_RE.match(root.findtext("s:RequestId", namespaces=ns))
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err(e.value) == ("ExpiredToken", 400)
    assert "expired" in e.value.response["Error"]["Message"]
    proxy.arm(action="GetCallerIdentity", code="InternalFailure", status=500, count=1)
    status, _, body = raw(proxy.url, "GetCallerIdentity", service="sts")
    assert status == 500 and b"<Type>Receiver</Type>" in body


def test_html_error_body(proxy, ec2, raw):
    proxy.arm(action="DescribeVolumes", kind="html", status=502, count=2)
    status, headers, body = raw(proxy.url, "DescribeVolumes")
    assert status == 502
    assert headers["content-type"].startswith("text/html")
    assert body.lstrip().startswith(b"<html>") and b"502 Bad Gateway" in body
    with pytest.raises(ClientError) as e:
        ec2.describe_volumes()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 502
    ec2.describe_volumes()


def test_after_fault_action_happens_and_client_token_is_idempotent(proxy, ec2):
    proxy.arm(action="CreateVolume", code="InternalError", status=500, count=1, after=True)
    token = str(uuid.uuid4())
    with pytest.raises(ClientError) as e:
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=7, VolumeType="gp3", ClientToken=token)
    assert err(e.value) == ("InternalError", 500)
    vols = ec2.describe_volumes()["Volumes"]
    assert [v["Size"] for v in vols] == [7]  # created upstream despite the error
    # the retry with the same token returns the same volume, no second one
    again = ec2.create_volume(AvailabilityZone="us-east-1a", Size=7, VolumeType="gp3", ClientToken=token)
    assert again["VolumeId"] == vols[0]["VolumeId"]
    assert len(ec2.describe_volumes()["Volumes"]) == 1
    # same token, other parameters: AWS's IdempotentParameterMismatch
    with pytest.raises(ClientError) as e:
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, VolumeType="gp3", ClientToken=token)
    assert err(e.value) == ("IdempotentParameterMismatch", 400)
    # a new token makes a new volume
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=7, VolumeType="gp3", ClientToken=str(uuid.uuid4()))
    assert len(ec2.describe_volumes()["Volumes"]) == 2


def test_run_instances_client_token(proxy, ec2, linux_ami):
    a = ec2.run_instances(ImageId=linux_ami, MinCount=1, MaxCount=1, ClientToken="tok-1")
    b = ec2.run_instances(ImageId=linux_ami, MinCount=1, MaxCount=1, ClientToken="tok-1")
    assert a["Instances"][0]["InstanceId"] == b["Instances"][0]["InstanceId"]
    n = sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"])
    assert n == 1


# ---------------------------------------------------------------------- latency
def test_latency_fixed_and_range(proxy, ec2):
    ec2.describe_vpcs()  # warm
    proxy.arm(action="DescribeVpcs", kind="latency", ms=400, count=1)
    t = time.monotonic()
    ec2.describe_vpcs()
    assert time.monotonic() - t >= 0.4
    proxy.arm(action="DescribeSubnets", kind="latency", ms=[250, 300])
    for _ in range(2):
        t = time.monotonic()
        ec2.describe_subnets()
        assert time.monotonic() - t >= 0.25
    log = proxy.get("log?action=DescribeSubnets")[1]["entries"]
    assert all(250 <= e["latency_ms"] <= 300 for e in log)


def test_latency_combines_with_error(proxy, ec2):
    proxy.arm(action="DescribeVpcs", kind="latency", ms=300, count=1)
    proxy.arm(action="DescribeVpcs", code="RequestLimitExceeded", count=1)
    t = time.monotonic()
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs()
    assert time.monotonic() - t >= 0.3
    assert err(e.value) == ("RequestLimitExceeded", 503)


# ------------------------------------------------------------------------ resets
def test_connection_reset_before_forwarding(proxy, ec2, raw):
    proxy.arm(action="DescribeVpcs", kind="reset", count=2)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        raw(proxy.url, "DescribeVpcs")
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        ec2.describe_vpcs()
    ec2.describe_vpcs()
    entries = proxy.get("log?action=DescribeVpcs")[1]["entries"]
    assert [e["status"] for e in entries] == [0, 0, 200]
    assert entries[0]["fault"]["kind"] == "reset"


def test_connection_reset_after_forwarding(proxy, ec2):
    proxy.arm(action="CreateVolume", kind="reset", mode="close", after=True, count=1)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=3)
    assert len(ec2.describe_volumes()["Volumes"]) == 1


def test_connection_reset_on_connect(proxy, ec2, raw):
    status, body = proxy.post("faults", {"action": "DescribeVpcs", "kind": "reset", "when": "connect"})
    assert status == 400  # nothing is read at connect time, so only action "*" makes sense
    proxy.arm(action="*", kind="reset", when="connect", count=1)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        raw(proxy.url, "DescribeVpcs")
    ec2.describe_vpcs()
    assert proxy.calls()["total"] == 1  # the dropped connection never carried a call
    entries = proxy.get("log")[1]["entries"]
    assert entries[0]["action"] == "(connect)" and entries[0]["fault"]["when"] == "connect"


def test_truncated_response(proxy, ec2, raw):
    proxy.arm(action="DescribeVpcs", kind="truncate", count=1)
    with pytest.raises((http.client.IncompleteRead, ConnectionResetError)):
        raw(proxy.url, "DescribeVpcs")
    ec2.describe_vpcs()


# ---------------------------------------------------------------- state changes
def test_stop_shows_stopping_then_stopped(proxy, ec2, instance):
    proxy.timings(stop=1.5)
    proxy.clock(freeze=True)
    resp = ec2.stop_instances(InstanceIds=[instance])["StoppingInstances"][0]
    assert resp["CurrentState"]["Name"] == "stopping"
    assert instance_state(ec2, instance) == ("stopping", 64)
    status = ec2.describe_instance_status(InstanceIds=[instance], IncludeAllInstances=True)["InstanceStatuses"]
    assert status[0]["InstanceState"] == {"Code": 64, "Name": "stopping"}
    # state filters follow what the proxy shows, not moto
    assert instance in ids_with_state_filter(ec2, "stopping")
    assert instance not in ids_with_state_filter(ec2, "stopped")
    codes = ec2.describe_instances(Filters=[{"Name": "instance-state-code", "Values": ["64"]}])
    assert [i["InstanceId"] for r in codes["Reservations"] for i in r["Instances"]] == [instance]
    proxy.clock(advance=1.4)
    assert instance_state(ec2, instance) == ("stopping", 64)
    proxy.clock(advance=0.2)
    assert instance_state(ec2, instance) == ("stopped", 80)
    assert instance in ids_with_state_filter(ec2, "stopped")
    assert instance not in ids_with_state_filter(ec2, "stopping")


def test_the_state_clock_freezes_moves_and_runs_on(proxy):
    frozen = proxy.clock(freeze=True)
    assert frozen["frozen"] is True
    assert proxy.clock()["now"] == frozen["now"], "a frozen clock stands still"
    moved = proxy.clock(advance=90)
    assert moved["now"] == frozen["now"] + 90
    released = proxy.clock(freeze=False)
    assert released["frozen"] is False and released["now"] >= moved["now"], "it runs on from where it stood"
    for bad in ({"advance": -1}, {"advance": "soon"}, {"freeze": "yes"}, {"rewind": 3}, [1]):
        status, answer = proxy.post("clock", bad)
        assert status == 400 and answer["error"], bad
    proxy.post("reset")
    assert proxy.get("clock")[1]["frozen"] is False and proxy.get("clock")[1]["offset"] == 0


def test_filtered_describe_keeps_other_filters(proxy, ec2, linux_ami):
    a = ec2.run_instances(ImageId=linux_ami, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    b = ec2.run_instances(ImageId=linux_ami, MinCount=1, MaxCount=1, InstanceType="t3.small")["Instances"][0]["InstanceId"]
    proxy.timings(stop=30)
    ec2.stop_instances(InstanceIds=[a, b])
    res = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["stopping"]},
                                          {"Name": "instance-type", "Values": ["t3.small"]}])
    assert [i["InstanceId"] for r in res["Reservations"] for i in r["Instances"]] == [b]


def test_stop_of_stopped_instance_reports_stopped(proxy, ec2, instance):
    ec2.stop_instances(InstanceIds=[instance])
    again = ec2.stop_instances(InstanceIds=[instance])["StoppingInstances"][0]
    assert again["PreviousState"]["Name"] == "stopped"
    assert again["CurrentState"] == {"Code": 80, "Name": "stopped"}  # moto says "stopping"


def test_start_shows_pending_then_running(proxy, ec2, instance):
    ec2.stop_instances(InstanceIds=[instance])
    proxy.timings(start=1.0)
    proxy.clock(freeze=True)
    resp = ec2.start_instances(InstanceIds=[instance])["StartingInstances"][0]
    assert resp["CurrentState"]["Name"] == "pending"
    assert instance_state(ec2, instance) == ("pending", 0)
    # a pending instance is not listed without IncludeAllInstances, as on AWS
    assert ec2.describe_instance_status(InstanceIds=[instance])["InstanceStatuses"] == []
    proxy.clock(advance=1.0)
    assert instance_state(ec2, instance) == ("running", 16)
    assert len(ec2.describe_instance_status(InstanceIds=[instance])["InstanceStatuses"]) == 1


def test_snapshot_pending_with_rising_progress(proxy, ec2, instance):
    proxy.timings(snapshot=2.0)
    proxy.clock(freeze=True)
    snaps = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance})["Snapshots"]
    assert snaps and all(s["State"] == "pending" for s in snaps)  # moto omits State here
    sid = snaps[0]["SnapshotId"]
    seen = []
    for _ in range(5):
        s = ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]
        seen.append((s["State"], int(s["Progress"].rstrip("%"))))
        proxy.clock(advance=0.5)
    assert [state for state, _ in seen] == ["pending"] * 4 + ["completed"]
    pend = [p for st, p in seen if st == "pending"]
    assert pend == sorted(pend) and pend[-1] > pend[0] and all(0 <= p <= 99 for p in pend)
    assert seen[-1] == ("completed", 100)
    # filter by status is evaluated against what the proxy shows
    flt = ec2.describe_snapshots(Filters=[{"Name": "status", "Values": ["completed"]},
                                          {"Name": "owner-id", "Values": ["123456789012"]}])
    assert sid in {s["SnapshotId"] for s in flt["Snapshots"]}


def test_create_snapshot_single(proxy, ec2):
    proxy.timings(snapshot=30)
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=2)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol)
    assert snap["State"] == "pending" and snap["Progress"] == "0%"
    assert ec2.describe_snapshots(SnapshotIds=[snap["SnapshotId"]])["Snapshots"][0]["State"] == "pending"
    pending = ec2.describe_snapshots(Filters=[{"Name": "status", "Values": ["pending"]}])["Snapshots"]
    assert [s["SnapshotId"] for s in pending] == [snap["SnapshotId"]]


def test_copy_lasts_by_its_size_without_credentials(proxy, ec2):
    # moto checks no signature here: the proxy asks it for the copy's size with the caller's own headers.
    proxy.timings(snapshot=30, copy=1, copy_per_gib=0.5)
    proxy.clock(freeze=True)
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=6)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    copy = ec2.copy_snapshot(SourceRegion="us-east-1", SourceSnapshotId=snap)["SnapshotId"]
    assert [r["phases"][0]["duration_s"] for r in proxy.resources(kind="snapshot")] == [30.0, 4.0]
    proxy.clock(advance=2)
    shown = {s["SnapshotId"]: (s["State"], s["Progress"]) for s in
             ec2.describe_snapshots(SnapshotIds=[snap, copy])["Snapshots"]}
    assert shown == {snap: ("pending", "6%"), copy: ("pending", "50%")}  # copies no longer follow `snapshot`
    proxy.clock(advance=2)
    assert ec2.describe_snapshots(SnapshotIds=[copy])["Snapshots"][0]["State"] == "completed"
    assert proxy.calls()["by_action"].get("DescribeSnapshots") == 2  # the proxy's own question is not counted


def test_volume_creating_then_available(proxy, ec2):
    proxy.timings(volume=1.0)
    proxy.clock(freeze=True)
    v = ec2.create_volume(AvailabilityZone="us-east-1a", Size=4, VolumeType="gp3")
    assert v["State"] == "creating"
    assert ec2.describe_volumes(VolumeIds=[v["VolumeId"]])["Volumes"][0]["State"] == "creating"
    flt = ec2.describe_volumes(Filters=[{"Name": "status", "Values": ["available"]}])["Volumes"]
    assert v["VolumeId"] not in {x["VolumeId"] for x in flt}
    proxy.clock(advance=1.0)
    assert ec2.describe_volumes(VolumeIds=[v["VolumeId"]])["Volumes"][0]["State"] == "available"
    flt = ec2.describe_volumes(Filters=[{"Name": "status", "Values": ["available"]}])["Volumes"]
    assert v["VolumeId"] in {x["VolumeId"] for x in flt}


def test_zero_delay_is_transparent(proxy, ec2, instance):
    ec2.stop_instances(InstanceIds=[instance])
    assert instance_state(ec2, instance) == ("stopped", 80)
    v = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)
    assert v["State"] == "available"
    snaps = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance})["Snapshots"]
    assert snaps[0]["State"] == "completed"


def test_error_state_for_snapshot(proxy, ec2):
    proxy.timings(snapshot=1.0)
    status, armed = proxy.post("errors-next", {"snapshot": 1})
    assert status == 200 and armed == {"snapshot": 1, "volume": 0, "copy": 0}
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=2)["VolumeId"]
    bad = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    good = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    assert proxy.get("errors-next")[1] == {"snapshot": 0, "volume": 0, "copy": 0}
    assert ec2.describe_snapshots(SnapshotIds=[bad])["Snapshots"][0]["State"] == "pending"
    proxy.clock(advance=1.1)
    snaps = {s["SnapshotId"]: s for s in ec2.describe_snapshots(SnapshotIds=[bad, good])["Snapshots"]}
    assert snaps[bad]["State"] == "error"
    assert snaps[bad]["StateMessage"]
    assert snaps[good]["State"] == "completed"
    # the botocore waiter treats error as a failure
    with pytest.raises(Exception) as e:
        ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[bad], WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert "failure" in str(e.value).lower()


def test_error_state_for_volume(proxy, ec2):
    proxy.post("errors-next", {"kind": "volume", "count": 1, "message": "boom"})
    v = ec2.create_volume(AvailabilityZone="us-east-1a", Size=2)
    # delay 0: the error is visible at once
    assert ec2.describe_volumes(VolumeIds=[v["VolumeId"]])["Volumes"][0]["State"] == "error"
    errs = ec2.describe_volumes(Filters=[{"Name": "status", "Values": ["error"]}])["Volumes"]
    assert [x["VolumeId"] for x in errs] == [v["VolumeId"]]
    other = ec2.create_volume(AvailabilityZone="us-east-1a", Size=2)["VolumeId"]
    assert ec2.describe_volumes(VolumeIds=[other])["Volumes"][0]["State"] == "available"
    res = proxy.resources(id=v["VolumeId"])[0]
    assert res["final_state"] == "error" and res["phases"][0]["error_message"] == "boom"


def test_enforce_states(proxy, ec2, instance):
    proxy.timings(stop=30, volume=30, snapshot=30, enforce=True)
    ec2.stop_instances(InstanceIds=[instance])
    with pytest.raises(ClientError) as e:
        ec2.start_instances(InstanceIds=[instance])
    assert err(e.value) == ("IncorrectInstanceState", 400)
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=2)["VolumeId"]
    with pytest.raises(ClientError) as e:
        ec2.attach_volume(VolumeId=vol, InstanceId=instance, Device="/dev/sdf")
    assert err(e.value) == ("IncorrectState", 400)
    proxy.timings(volume=0)
    vol2 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=2)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol2)["SnapshotId"]
    with pytest.raises(ClientError) as e:
        ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snap)
    assert err(e.value) == ("IncorrectState", 400)
    proxy.timings(enforce=False)
    ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snap)


# --------------------------------------------------------------- control API
def test_timings_control(proxy, ec2):
    assert proxy.get("timings")[1] == {"stop": 0.0, "start": 0.0, "snapshot": 0.0, "volume": 0.0, "copy": 0.0,
                                       "copy_per_gib": 0.0, "enforce": False}
    out = proxy.timings(stop=5, snapshot=2.5)
    assert out["stop"] == 5.0 and out["snapshot"] == 2.5 and out["volume"] == 0.0
    assert proxy.get("timings")[1]["stop"] == 5.0
    status, body = proxy.post("timings", {"stop": -1})
    assert status == 400 and "stop" in body["error"]
    status, body = proxy.post("timings", {"reboot": 1})
    assert status == 400
    v = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)
    assert v["State"] == "available"  # volume delay still 0


def test_cli_state_delays_and_seed(moto, start_proxy, make_client):
    p = start_proxy(moto.url, "--state-delays", "stop=5,start=3,snapshot=10,volume=4", "--seed", "3")
    assert p.get("timings")[1] == {"stop": 5.0, "start": 3.0, "snapshot": 10.0, "volume": 4.0, "copy": 0.0,
                                   "copy_per_gib": 0.0, "enforce": False}
    p.post("timings", {"stop": 1})
    p.post("reset")
    assert p.get("timings")[1]["stop"] == 5.0  # reset goes back to the command line values
    ec2 = make_client("ec2", p.url)
    assert ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["State"] == "creating"


def test_bad_cli_arguments_exit_nonzero(helpers, moto):
    import subprocess
    import sys
    r = subprocess.run([sys.executable, str(helpers["repo"] / "scripts" / "ec2-proxy"), "--upstream",
                        moto.url, "--state-delays", "reboot=3"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "reboot" in r.stderr


def test_fault_control_listing_and_validation(proxy):
    status, body = proxy.post("faults", {"action": "X", "kind": "explode"})
    assert status == 400 and "kind" in body["error"]
    status, body = proxy.post("faults", {"action": "X", "probability": 2})
    assert status == 400
    status, body = proxy.post("faults", {"action": "X", "colour": "red"})
    assert status == 400 and "colour" in body["error"]
    status, body = proxy.post("faults", [{"action": "A", "count": 1}, {"action": "B", "kind": "latency", "ms": 5}])
    assert status == 201 and [f["action"] for f in body["faults"]] == ["A", "B"]
    listed = proxy.get("faults")[1]["faults"]
    assert len(listed) == 2 and listed[0]["fired"] == 0
    status, body = proxy.delete(f"faults/{listed[0]['id']}")
    assert status == 200 and body["removed"] == 1
    assert [f["action"] for f in proxy.get("faults")[1]["faults"]] == ["B"]
    assert proxy.delete("faults")[1]["removed"] == 1
    assert proxy.get("nope")[0] == 404


def test_reset_restores_defaults(proxy, ec2):
    proxy.arm(action="DescribeVpcs", code="InternalError")
    proxy.timings(stop=9)
    proxy.post("errors-next", {"snapshot": 2})
    with pytest.raises(ClientError):
        ec2.describe_vpcs()
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)
    assert proxy.calls()["total"] == 2 and proxy.resources()
    status, body = proxy.post("reset")
    assert status == 200
    assert proxy.get("faults")[1]["faults"] == []
    assert proxy.calls()["total"] == 0
    assert proxy.get("log")[1]["entries"] == []
    assert proxy.get("timings")[1]["stop"] == 0.0
    assert proxy.get("errors-next")[1] == {"snapshot": 0, "volume": 0, "copy": 0}
    assert proxy.resources() == []
    ec2.describe_vpcs()  # no fault any more
    assert len(ec2.describe_volumes()["Volumes"]) == 1  # moto untouched


def test_healthz(proxy):
    status, body = proxy.get("healthz")
    assert status == 200 and body["ok"] is True and body["upstream_reachable"] is True
    assert body["port"] == proxy.port


def test_resource_timeline_reaction(proxy, ec2, instance):
    proxy.timings(stop=1.0, snapshot=0.8)
    t_stop = time.time()
    ec2.stop_instances(InstanceIds=[instance])
    t_stopped = time.time()
    ec2.create_tags(Resources=[instance], Tags=[{"Key": "k", "Value": "v"}])  # too early
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance], WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    snaps = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance})["Snapshots"]
    t_snap = time.time()
    res = proxy.resources(kind="instance")
    assert len(res) == 1
    r = res[0]
    assert r["id"] == instance and r["state"] == "stopped" and r["final"] is True
    assert t_stop + 1.0 <= r["final_at"] <= t_stopped + 1.0
    assert r["first_seen_final_at"] >= r["final_at"]
    assert r["next_mutation"]["action"] == "CreateSnapshots"
    assert r["next_mutation"]["at"] <= t_snap
    assert r["reaction_s"] == pytest.approx(r["next_mutation"]["at"] - r["final_at"], abs=1e-3)
    assert r["reaction_s"] >= 0
    sres = proxy.resources(kind="snapshot")
    assert {s["id"] for s in sres} == {s["SnapshotId"] for s in snaps}
    assert all(s["state"] == "pending" and s["final"] is False and s["first_seen_final_at"] is None
               for s in sres)
    assert 0 <= sres[0]["progress"] < 100
    # the call made during the transient phase is kept apart, not taken as the reaction
    early = r["phases"][0]["mutations_before_final"]
    assert [m["action"] for m in early] == ["CreateTags"] and early[0]["at"] < r["final_at"]


def test_moto_reset_through_proxy_forgets_resources(proxy, ec2):
    proxy.timings(volume=30)
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)
    assert len(proxy.resources()) == 1
    urllib.request.urlopen(urllib.request.Request(proxy.url + "/moto-api/reset", data=b"", method="POST"),
                           timeout=30).read()
    assert proxy.resources() == []


# ---------------------------------------------------------------- transport
def test_keep_alive_two_requests_one_connection(proxy, raw):
    host, port = "127.0.0.1", proxy.port
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        s1, h1, b1 = raw(proxy.url, "DescribeVpcs", conn=conn)
        sock = conn.sock
        local = sock.getsockname()
        s2, h2, b2 = raw(proxy.url, "DescribeSubnets", conn=conn)
        assert conn.sock is sock and sock.getsockname() == local  # no reconnect
        assert (s1, s2) == (200, 200)
        assert h1["connection"] == "keep-alive"
        assert b"DescribeVpcsResponse" in b1 and b"DescribeSubnetsResponse" in b2
        assert int(h2["content-length"]) == len(b2)
    finally:
        conn.close()
    # and on a raw socket: two pipelined-in-sequence requests, two answers
    with socket.create_connection((host, port), timeout=30) as s:
        req = (b"GET /__proxy/healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        f = s.makefile("rb")
        for _ in range(2):
            s.sendall(req)
            status = f.readline()
            assert status.startswith(b"HTTP/1.1 200")
            length = 0
            while (line := f.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert b'"ok": true' in f.read(length)


def test_upstream_down_gives_502_envelope(start_proxy, helpers, make_client, raw):
    dead = f"http://127.0.0.1:{helpers['free_port']()}"
    p = start_proxy(dead)
    status, headers, body = raw(p.url, "DescribeInstances")
    assert status == 502
    root = ET.fromstring(body)
    assert root.findtext("Errors/Error/Code") == "ServiceUnavailable"
    assert b"Traceback" not in body
    ec2 = make_client("ec2", p.url)
    with pytest.raises(ClientError) as e:
        ec2.describe_instances()
    assert err(e.value) == ("ServiceUnavailable", 502)
    sts = make_client("sts", p.url)
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err(e.value) == ("ServiceUnavailable", 502)
    assert p.get("healthz")[1]["upstream_reachable"] is False
    assert "Traceback" not in p.stderr_path.read_text()


def test_sigterm_and_sigint_stop_cleanly(moto, start_proxy):
    for sig in (signal.SIGTERM, signal.SIGINT):
        p = start_proxy(moto.url)
        assert p.get("healthz")[0] == 200
        rc = p.stop(sig)
        assert rc == 0
        text = p.stderr_path.read_text()
        assert "stopped" in text and "Traceback" not in text


def test_concurrent_clients_are_counted_exactly(proxy, raw):
    from concurrent.futures import ThreadPoolExecutor

    proxy.arm(action="DescribeSubnets", kind="latency", ms=50)
    proxy.arm(action="DescribeVpcs", code="RequestLimitExceeded", count=10)

    def work(n):
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=60)
        try:
            return [raw(proxy.url, "DescribeVpcs" if k % 2 else "DescribeSubnets", conn=conn)[0]
                    for k in range(6)]
        finally:
            conn.close()

    with ThreadPoolExecutor(16) as pool:
        statuses = [st for batch in pool.map(work, range(16)) for st in batch]
    assert len(statuses) == 96
    assert statuses.count(503) == 10 and statuses.count(200) == 86
    calls = proxy.calls()
    assert calls["by_action"] == {"DescribeVpcs": 48, "DescribeSubnets": 48}
    assert calls["injected"] == {"DescribeVpcs": 10}
    assert len(proxy.get("log")[1]["entries"]) == 96


def test_tls_with_a_private_ca(moto, start_proxy, workdir, helpers):
    """--tls-cert/--tls-key serve HTTPS: a client that trusts the CA gets answers, one that does not is refused."""
    import ssl
    import subprocess
    import sys

    import boto3
    from botocore.config import Config
    from botocore.exceptions import SSLError

    d = workdir / f"tls-{uuid.uuid4().hex[:8]}"
    d.mkdir()
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for cmd in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
         "-subj", "/CN=proxy-test-ca"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tls.crt",
         "-days", "1", "-extfile", "san.ext"],
    ):
        subprocess.run(["openssl", *cmd], cwd=d, check=True, capture_output=True, timeout=60)
    p = start_proxy(moto.url, "--tls-cert", str(d / "tls.crt"), "--tls-key", str(d / "tls.key"))
    url = f"https://127.0.0.1:{p.port}"

    def ec2(verify):
        return boto3.client("ec2", endpoint_url=url, region_name="us-east-1", verify=verify,
                            aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="testing",
                            config=Config(retries={"mode": "standard", "total_max_attempts": 1}))

    assert "AvailabilityZones" in ec2(str(d / "ca.crt")).describe_availability_zones()
    with pytest.raises(SSLError):
        ec2(True).describe_availability_zones()
    context = ssl.create_default_context(cafile=str(d / "ca.crt"))
    with urllib.request.urlopen(f"{url}/__proxy/healthz", context=context, timeout=10) as r:
        assert json.loads(r.read())["ok"] is True

    r = subprocess.run([sys.executable, str(helpers["repo"] / "scripts" / "ec2-proxy"), "--upstream", moto.url,
                        "--tls-cert", str(d / "tls.crt")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--tls-key" in r.stderr
