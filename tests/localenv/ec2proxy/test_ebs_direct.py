"""The EBS direct APIs the proxy answers from its block store: volumes have sparse, deterministic content, snapshots
keep it as it was, and ListSnapshotBlocks / ListChangedBlocks / GetSnapshotBlock read it as AWS documents them, with
its errors, limits and faults. Times follow the proxy's clock, never the wall clock."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from .conftest import Moto, Proxy, client

BLOCK = 524288
ZERO = bytes(BLOCK)


def failure(call) -> tuple[str, str | None, int]:
    """(code, Reason, HTTP status) of a call that fails."""
    with pytest.raises(ClientError) as raised:
        call()
    answer = raised.value.response
    return answer["Error"]["Code"], answer.get("Reason"), answer["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def ebs(proxy):
    return client("ebs", proxy.url)


def volume_of(ec2, size: int = 1) -> str:
    return ec2.create_volume(AvailabilityZone="us-east-1a", Size=size)["VolumeId"]


def snapshot_of(ec2, volume: str) -> str:
    return ec2.create_snapshot(VolumeId=volume)["SnapshotId"]


def blocks(ebs, snapshot: str, **options) -> dict[int, str]:
    """Every block of a snapshot, page after page: index -> token."""
    out: dict[int, str] = {}
    while True:
        page = ebs.list_snapshot_blocks(SnapshotId=snapshot, **options)
        out.update({b["BlockIndex"]: b["BlockToken"] for b in page["Blocks"]})
        if not page.get("NextToken"):
            return out
        options = {"NextToken": page["NextToken"], **{k: v for k, v in options.items() if k == "MaxResults"}}


def changed(ebs, second: str, first: str | None = None, **options) -> list[dict]:
    out: list[dict] = []
    extra = {"FirstSnapshotId": first} if first else {}
    while True:
        page = ebs.list_changed_blocks(SecondSnapshotId=second, **extra, **options)
        out.extend(page["ChangedBlocks"])
        if not page.get("NextToken"):
            return out
        options = {"NextToken": page["NextToken"], **{k: v for k, v in options.items() if k == "MaxResults"}}


def read(ebs, snapshot: str, index: int, token: str) -> tuple[bytes, dict]:
    answer = ebs.get_snapshot_block(SnapshotId=snapshot, BlockIndex=index, BlockToken=token)
    return answer["BlockData"].read(), answer


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def content(proxy, kind: str, rid: str, what: str):
    status, out = proxy.get(f"{kind}/{rid}/{what}")
    assert status == 200, out
    return out


def write(proxy, volume: str, *indexes: int):
    status, out = proxy.post(f"volumes/{volume}/write", {"blocks": list(indexes)})
    assert status == 200, out
    return out


def raw_ebs(proxy, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """A GET the way an unsigned client sends it (the proxy without --credentials checks no signature)."""
    host, port = proxy.url.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------------------ reading
def test_snapshot_lists_its_allocated_blocks_in_order(proxy, ec2, ebs):
    clock = proxy.clock(freeze=True)
    volume = volume_of(ec2, size=2)
    snapshot = snapshot_of(ec2, volume)
    page = ebs.list_snapshot_blocks(SnapshotId=snapshot)
    indexes = [b["BlockIndex"] for b in page["Blocks"]]
    assert (page["BlockSize"], page["VolumeSize"], "NextToken" in page) == (BLOCK, 2, False)
    assert len(indexes) == 16 and indexes[0] == 0 and indexes == sorted(set(indexes)) and indexes[-1] < 2 * 2048
    assert page["ExpiryTime"].timestamp() == pytest.approx(clock["now"] + 7 * 24 * 3600, abs=0.01)
    seen = content(proxy, "volumes", volume, "blocks")
    assert [b["index"] for b in seen["blocks"]] == indexes
    assert (seen["size_gib"], seen["block_count"], seen["allocated"], seen["lineage"]) == (2, 4096, 16, volume)
    assert {b["generation"] for b in seen["blocks"]} == {1}
    # pages of at least 100, picked up after the last index by NextToken
    write(proxy, volume, *range(1000, 1250))
    later = snapshot_of(ec2, volume)
    first = ebs.list_snapshot_blocks(SnapshotId=later, MaxResults=100)
    assert len(first["Blocks"]) == 100 and first["NextToken"]
    assert sorted(blocks(ebs, later, MaxResults=100)) == sorted(set(indexes) | set(range(1000, 1250)))
    start = ebs.list_snapshot_blocks(SnapshotId=later, StartingBlockIndex=1200)["Blocks"]
    assert [b["BlockIndex"] for b in start][:3] == [1200, 1201, 1202]


def test_every_block_matches_its_checksum_and_unlisted_blocks_are_refused(proxy, ec2, ebs):
    snapshot = snapshot_of(ec2, volume_of(ec2))
    listed = blocks(ebs, snapshot)
    datas = set()
    for index, token in listed.items():
        data, answer = read(ebs, snapshot, index, token)
        headers = answer["ResponseMetadata"]["HTTPHeaders"]
        assert (len(data), answer["DataLength"], answer["ChecksumAlgorithm"]) == (BLOCK, BLOCK, "SHA256")
        assert answer["Checksum"] == sha256_b64(data) and data != ZERO
        assert headers["content-type"] == "application/octet-stream"
        datas.add(data)
    assert len(datas) == len(listed)  # no two blocks alike
    index, token = next(iter(listed.items()))
    other = max(listed) + 1
    assert failure(lambda: read(ebs, snapshot, other, token)) == ("ValidationException", "INVALID_BLOCK_TOKEN", 400)
    assert failure(lambda: read(ebs, snapshot, index, "AAAA" + token[4:])) == (
        "ValidationException", "INVALID_BLOCK_TOKEN", 400)
    assert failure(lambda: read(ebs, snapshot, 2048, token)) == ("ValidationException", "INVALID_BLOCK", 400)
    assert failure(lambda: ebs.list_snapshot_blocks(SnapshotId="snap-0123456789abcdef0")) == (
        "ResourceNotFoundException", "SNAPSHOT_NOT_FOUND", 404)


def test_changed_blocks_are_exactly_the_blocks_written_between_two_snapshots(proxy, ec2, ebs):
    volume = volume_of(ec2)
    first = snapshot_of(ec2, volume)
    before = blocks(ebs, first)
    allocated = sorted(before)[3]
    fresh = [i for i in (7, 8, 2000) if i not in before]
    write(proxy, volume, allocated, *fresh)
    second = snapshot_of(ec2, volume)

    listed = changed(ebs, second, first)
    assert [c["BlockIndex"] for c in listed] == sorted([allocated, *fresh])
    after = blocks(ebs, second)
    for c in listed:
        assert c["SecondBlockToken"] == after[c["BlockIndex"]]
        assert c.get("FirstBlockToken") == (before[allocated] if c["BlockIndex"] == allocated else None)
    old, _ = read(ebs, first, allocated, before[allocated])
    new, _ = read(ebs, second, allocated, after[allocated])
    assert old != new
    assert blocks(ebs, second).keys() == before.keys() | set(fresh)
    # without a first snapshot: every block of the second; pages of 100
    write(proxy, volume, *range(300, 520))
    third = snapshot_of(ec2, volume)
    assert [c["BlockIndex"] for c in changed(ebs, third)] == sorted(blocks(ebs, third))
    assert [c["BlockIndex"] for c in changed(ebs, third, second, MaxResults=100)] == list(range(300, 520))
    # a snapshot of another volume is of another lineage
    stranger = snapshot_of(ec2, volume_of(ec2))
    assert failure(lambda: ebs.list_changed_blocks(FirstSnapshotId=stranger, SecondSnapshotId=second)) == (
        "ValidationException", "UNRELATED_SNAPSHOTS", 400)


def test_snapshot_sha256_is_its_blocks_assembled_and_copies_and_restores_keep_it(proxy, ec2, ebs):
    volume = volume_of(ec2)
    snapshot = snapshot_of(ec2, volume)
    write(proxy, volume, 0, 9, 1500)  # after the snapshot: the snapshot keeps what it saw
    listed = blocks(ebs, snapshot)
    image = hashlib.sha256()
    for index in range(2048):
        image.update(read(ebs, snapshot, index, listed[index])[0] if index in listed else ZERO)
    digest = content(proxy, "snapshots", snapshot, "sha256")
    assert (digest["sha256"], digest["bytes"]) == (image.hexdigest(), 1 << 30)
    assert content(proxy, "volumes", volume, "sha256")["sha256"] != digest["sha256"]

    copy = ec2.copy_snapshot(SourceSnapshotId=snapshot, SourceRegion="us-east-1")["SnapshotId"]
    assert content(proxy, "snapshots", copy, "sha256")["sha256"] == digest["sha256"]
    copied = blocks(ebs, copy)
    assert copied.keys() == listed.keys() and not set(copied.values()) & set(listed.values())
    assert changed(ebs, copy, snapshot) == []  # a copy is of its source's lineage, with the same content
    restored = ec2.create_volume(AvailabilityZone="us-east-1b", SnapshotId=snapshot)["VolumeId"]
    assert content(proxy, "volumes", restored, "sha256")["sha256"] == digest["sha256"]
    assert content(proxy, "volumes", restored, "blocks")["lineage"] == volume

    ec2.delete_snapshot(SnapshotId=copy)
    assert failure(lambda: ebs.list_snapshot_blocks(SnapshotId=copy))[0] == "ResourceNotFoundException"
    assert proxy.get(f"snapshots/{copy}/sha256")[0] == 404


def test_pending_snapshots_cannot_be_read(proxy, ec2, ebs):
    proxy.clock(freeze=True)
    proxy.timings(snapshot=10)
    snapshot = snapshot_of(ec2, volume_of(ec2))
    assert failure(lambda: ebs.list_snapshot_blocks(SnapshotId=snapshot)) == (
        "ValidationException", "INVALID_SNAPSHOT_ID", 400)
    proxy.clock(advance=10)
    assert 0 in blocks(ebs, snapshot)


def test_instance_volumes_get_their_size_from_moto(proxy, ec2, ebs, instance):
    [mapping] = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0][
        "BlockDeviceMappings"]
    volume = mapping["Ebs"]["VolumeId"]
    seen = content(proxy, "volumes", volume, "blocks")  # the RunInstances answer named it, without a size
    size = ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["Size"]
    assert (seen["size_gib"], seen["allocated"]) == (size, 16)
    [snapshot] = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance})["Snapshots"]
    assert sorted(blocks(ebs, snapshot["SnapshotId"])) == [b["index"] for b in seen["blocks"]]


def test_reset_forgets_content_and_a_snapshot_moto_has_is_read_from_its_volume(proxy, ec2, ebs):
    volume = volume_of(ec2)
    snapshot = snapshot_of(ec2, volume)
    listed = blocks(ebs, snapshot)
    assert proxy.post("reset")[0] == 200
    assert proxy.get(f"volumes/{volume}/blocks")[0] == 404
    assert proxy.get(f"snapshots/{snapshot}/blocks")[0] == 404
    assert blocks(ebs, snapshot) == listed  # the same seed, the same volume: the same content
    assert content(proxy, "snapshots", snapshot, "blocks")["volume"] == volume


# ------------------------------------------------------------------------------------------------- dirty writer
def test_dirty_writer_writes_as_the_clock_moves(proxy, ec2, ebs):
    proxy.clock(freeze=True)
    volume = volume_of(ec2)
    first = snapshot_of(ec2, volume)
    status, out = proxy.post(f"volumes/{volume}/dirty", {"blocks_per_second": 10})
    assert (status, out["dirty"]["blocks_per_second"], out["dirty"]["applied"]) == (200, 10, 0)
    assert changed(ebs, snapshot_of(ec2, volume), first) == []  # a frozen clock writes nothing
    before = {b["index"]: b["generation"] for b in content(proxy, "volumes", volume, "blocks")["blocks"]}
    proxy.clock(advance=3)
    after = content(proxy, "volumes", volume, "blocks")
    assert (after["dirty"]["applied"], after["writes"]) == (30, 30)
    generations = {b["index"]: b["generation"] for b in after["blocks"]}
    written = sorted(i for i, g in generations.items() if before.get(i) != g)
    assert 0 < len(written) <= 30
    second = snapshot_of(ec2, volume)
    assert [c["BlockIndex"] for c in changed(ebs, second, first)] == written
    assert proxy.post(f"volumes/{volume}/dirty", {"blocks_per_second": 0})[1]["dirty"] is None
    proxy.clock(advance=5)
    assert content(proxy, "volumes", volume, "blocks")["writes"] == 30


# ------------------------------------------------------------------------------------------- limits and faults
def test_reads_above_a_snapshot_s_mibps_are_throttled(proxy, ec2, ebs):
    proxy.clock(freeze=True)
    assert proxy.post("ebs", {"mibps": 1})[1]["mibps"] == 1
    volume = volume_of(ec2)
    snapshot, other = snapshot_of(ec2, volume), snapshot_of(ec2, volume)
    listed, listed_other = sorted(blocks(ebs, snapshot).items()), sorted(blocks(ebs, other).items())
    read(ebs, snapshot, *listed[0])
    read(ebs, snapshot, *listed[1])  # 1 MiB a second: two blocks
    assert failure(lambda: read(ebs, snapshot, *listed[2])) == (
        "RequestThrottledException", "RESOURCE_LEVEL_THROTTLE", 400)
    read(ebs, other, *listed_other[0])  # every snapshot has a budget of its own
    proxy.clock(advance=0.5)
    read(ebs, snapshot, *listed[2])
    assert failure(lambda: read(ebs, snapshot, *listed[3]))[0] == "RequestThrottledException"
    assert proxy.calls()["ebs_by_snapshot"][snapshot] == {"blocks": 3, "bytes": 3 * BLOCK}


def test_calls_above_an_account_s_rate_are_throttled(proxy, ec2, ebs, make_client):
    proxy.clock(freeze=True)
    proxy.post("ebs", {"rps": 2})
    snapshot = snapshot_of(ec2, volume_of(ec2))
    ebs.list_snapshot_blocks(SnapshotId=snapshot)
    ebs.list_snapshot_blocks(SnapshotId=snapshot)
    assert failure(lambda: ebs.list_snapshot_blocks(SnapshotId=snapshot)) == (
        "RequestThrottledException", "ACCOUNT_THROTTLED", 400)
    ebs.list_changed_blocks(SecondSnapshotId=snapshot)  # another action, its own rate
    other = make_client("ebs", proxy.url, account="111122223333")
    assert failure(lambda: other.list_snapshot_blocks(SnapshotId=snapshot))[0] == "ResourceNotFoundException"
    proxy.clock(advance=1)
    ebs.list_snapshot_blocks(SnapshotId=snapshot)
    assert proxy.post("reset")[1]["ok"] and proxy.get("ebs")[1]["rps"] == 0


def test_corrupt_fault_sends_a_block_that_does_not_match_its_checksum(proxy, ec2, ebs):
    snapshot = snapshot_of(ec2, volume_of(ec2))
    index, token = sorted(blocks(ebs, snapshot).items())[0]
    armed = proxy.arm(action="ebs:GetSnapshotBlock", kind="corrupt", count=1)
    ebs.list_snapshot_blocks(SnapshotId=snapshot)  # only a block can be corrupted
    spoiled, answer = read(ebs, snapshot, index, token)
    assert len(spoiled) == BLOCK and sha256_b64(spoiled) != answer["Checksum"]
    good, again = read(ebs, snapshot, index, token)
    assert sha256_b64(good) == again["Checksum"] == answer["Checksum"]
    assert [f for f in proxy.get("faults")[1]["faults"] if f["id"] == armed["id"]][0]["fired"] == 1
    entries = proxy.get("log?action=GetSnapshotBlock")[1]["entries"]
    assert [e["fault"] and e["fault"]["kind"] for e in entries] == ["corrupt", None]
    assert entries[0]["params"] == {"SnapshotId": snapshot, "BlockIndex": str(index)}


def test_error_latency_and_reset_faults_on_ebs_actions(proxy, ec2, ebs, raw):
    snapshot = snapshot_of(ec2, volume_of(ec2))
    index, token = sorted(blocks(ebs, snapshot).items())[0]
    proxy.arm(action="ebs:GetSnapshotBlock", code="InternalServerException", count=1)
    assert failure(lambda: read(ebs, snapshot, index, token)) == ("InternalServerException", None, 500)
    proxy.arm(action="ListSnapshotBlocks", code="AccessDeniedException", reason="UNAUTHORIZED_ACCOUNT", count=1)
    assert failure(lambda: ebs.list_snapshot_blocks(SnapshotId=snapshot)) == (
        "AccessDeniedException", "UNAUTHORIZED_ACCOUNT", 403)
    proxy.arm(action="ebs:*", code="ServiceQuotaExceededException", count=1)
    assert failure(lambda: ebs.list_changed_blocks(SecondSnapshotId=snapshot))[1:] == (None, 402)
    proxy.arm(action="ebs:GetSnapshotBlock", kind="reset", count=1)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        read(ebs, snapshot, index, token)
    proxy.arm(action="ebs:ListSnapshotBlocks", kind="latency", ms=5, count=1)
    ebs.list_snapshot_blocks(SnapshotId=snapshot)
    assert proxy.get("log?action=ListSnapshotBlocks&limit=1")[1]["entries"][0]["latency_ms"] == 5
    status, headers, body = raw_ebs(proxy, f"/snapshots/{snapshot}/blocks")
    assert (status, json.loads(body)["Blocks"][0]["BlockIndex"]) == (200, 0)  # no signature, no --credentials


def test_counters_count_calls_blocks_and_bytes(proxy, ec2, ebs):
    snapshot = snapshot_of(ec2, volume_of(ec2))
    proxy.post("calls/reset")
    listed = sorted(blocks(ebs, snapshot).items())
    for index, token in listed[:5]:
        read(ebs, snapshot, index, token)
    failure(lambda: read(ebs, snapshot, *listed[0][:1], listed[1][1]))
    calls = proxy.calls()
    assert calls["by_action"] == {"ListSnapshotBlocks": 1, "GetSnapshotBlock": 6}
    assert (calls["by_service"], calls["by_status"]) == ({"ebs": 7}, {"200": 6, "400": 1})
    assert (calls["ebs_blocks"], calls["ebs_bytes"]) == (5, 5 * BLOCK)
    assert calls["ebs_by_snapshot"] == {snapshot: {"blocks": 5, "bytes": 5 * BLOCK}}
    mine = proxy.calls(account="default")
    assert (mine["ebs_blocks"], mine["by_action"]["GetSnapshotBlock"]) == (5, 6)
    assert proxy.calls(action="GetSnapshotBlock")["count"] == 6
    proxy.post("calls/reset")
    assert (proxy.calls()["ebs_bytes"], proxy.calls()["ebs_by_snapshot"]) == (0, {})


# ------------------------------------------------------------------------------------------------- bad requests
def test_parameters_are_checked_as_the_api_reference_gives_them(proxy, ec2, ebs):
    volume = volume_of(ec2)
    write(proxy, volume, *range(100, 260))
    snapshot = snapshot_of(ec2, volume)

    def get(path: str) -> tuple[int, dict]:
        status, headers, body = raw_ebs(proxy, path)
        out = json.loads(body)
        if status != 200:
            assert headers["x-amzn-errortype"] == "ValidationException" and set(out) == {"Message", "Reason"}
        return status, out

    assert len(get(f"/snapshots/{snapshot}/blocks?maxResults=10")[1]["Blocks"]) == 100  # at least 100
    assert get(f"/snapshots/{snapshot}/blocks?maxResults=10001")[0] == 400
    assert get(f"/snapshots/{snapshot}/blocks?maxResults=many")[0] == 400
    assert get(f"/snapshots/{snapshot}/blocks?pageToken=bm90LWEtdG9rZW4=")[1]["Reason"] == "INVALID_PAGE_TOKEN"
    token = get(f"/snapshots/{snapshot}/blocks?maxResults=100")[1]["NextToken"]
    assert get(f"/snapshots/{snapshot}/changedblocks?pageToken={urllib.parse.quote(token)}")[1]["Reason"] == (
        "INVALID_PAGE_TOKEN")  # a token of another listing
    assert get("/snapshots/snap-NOT-AN-ID/blocks")[1]["Reason"] == "INVALID_SNAPSHOT_ID"
    assert get(f"/snapshots/{snapshot}/blocks?startingBlockIndex=-1")[0] == 400
    assert get(f"/snapshots/{snapshot}/blocks/0")[1]["Reason"] == "INVALID_BLOCK_TOKEN"
    assert get(f"/snapshots/{snapshot}/blocks/x?blockToken=AAAA")[0] == 400


def test_control_calls_refuse_what_they_cannot_do(proxy, ec2):
    volume = volume_of(ec2)
    assert proxy.post(f"volumes/{volume}/write", {"blocks": [2048]})[0] == 400
    assert proxy.post(f"volumes/{volume}/write", {"blocks": "0"})[0] == 400
    assert proxy.post(f"volumes/{volume}/dirty", {"blocks_per_second": -1})[0] == 400
    assert proxy.post(f"volumes/{volume}/dirty", {"rate": 1})[0] == 400
    assert proxy.post("volumes/vol-0123456789abcdef0/write", {"blocks": [0]})[0] == 404
    assert proxy.get("snapshots/snap-0123456789abcdef0/sha256")[0] == 404
    assert proxy.post(f"volumes/{volume}/sha256")[0] == 405
    assert proxy.post("ebs", {"mibps": -1})[0] == 400
    assert proxy.post("ebs", {"blocks_per_volume": 0})[0] == 400
    assert proxy.post("ebs", {"speed": 1})[0] == 400
    status, out = proxy.post("ebs", {"blocks_per_volume": 40})
    assert (status, out["blocks_per_volume"]) == (200, 40)
    assert content(proxy, "volumes", volume_of(ec2), "blocks")["allocated"] == 40


def test_command_line_sets_what_reset_returns_to(moto, start_proxy, helpers, make_client):
    import subprocess
    import sys

    p = start_proxy(moto.url, "--ebs-blocks-per-volume", "3", "--ebs-mibps", "2.5", "--ebs-rps", "40")
    assert p.post("ebs", {"mibps": 0, "blocks_per_volume": 9})[1]["mibps"] == 0
    p.post("reset")
    assert {k: v for k, v in p.get("ebs")[1].items() if k in ("blocks_per_volume", "mibps", "rps")} == {
        "blocks_per_volume": 3, "mibps": 2.5, "rps": 40}
    ec2 = make_client("ec2", p.url)
    snapshot = snapshot_of(ec2, volume_of(ec2))
    assert len(blocks(make_client("ebs", p.url), snapshot)) == 3
    bad = subprocess.run([sys.executable, str(helpers["repo"] / "scripts" / "ec2-proxy"), "--upstream", moto.url,
                          "--ebs-blocks-per-volume", "0"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--ebs-blocks-per-volume" in bad.stderr


# ----------------------------------------------------------------------------------- accounts and signatures
A, B, C = "123456789012", "345678901234", "210987654321"
KEYS = {A: ("AKIAEBSDIRECTA000001", "ebs-direct-secret-a"), B: ("AKIAEBSDIRECTB000001", "ebs-direct-secret-b"),
        C: ("AKIAEBSDIRECTC000001", "ebs-direct-secret-c")}


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A moto checking signatures and a proxy verifying them with the same users (moto is never reset)."""
    tmp = tmp_path_factory.mktemp("ebs-direct")
    users = tmp / "users.json"
    users.write_text(json.dumps([{"account": account, "user": f"user-{account}", "accessKeyId": key[0],
                                  "secretAccessKey": key[1]} for account, key in KEYS.items()]))
    moto = Moto(tmp, "--iam-users", str(users), name="ebs-moto")
    proxy = Proxy(tmp, moto.url, "--credentials", str(users), "--seed", "5", "--ebs-blocks-per-volume", "4",
                  name="ebs-proxy")
    yield proxy
    proxy.stop()
    moto.stop()


@pytest.fixture
def aws(signed):
    assert signed.post("reset")[0] == 200
    return lambda account, service="ec2", secret=None, region="us-east-1": client(
        service, signed.url, region, key=(KEYS[account][0], secret or KEYS[account][1]))


def test_another_account_reads_a_snapshot_only_while_it_is_shared(signed, aws):
    owner = aws(A)
    snapshot = snapshot_of(owner, volume_of(owner))
    mine = blocks(aws(A, "ebs"), snapshot)
    assert len(mine) == 4
    b = aws(B, "ebs")
    assert failure(lambda: b.list_snapshot_blocks(SnapshotId=snapshot)) == (
        "ResourceNotFoundException", "SNAPSHOT_NOT_FOUND", 404)
    owner.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add",
                                    UserIds=[B])
    assert blocks(b, snapshot) == mine
    index, token = sorted(mine.items())[-1]
    data, answer = read(b, snapshot, index, token)
    assert sha256_b64(data) == answer["Checksum"]
    assert failure(lambda: aws(C, "ebs").list_snapshot_blocks(SnapshotId=snapshot))[0] == "ResourceNotFoundException"
    assert (signed.calls(account=B)["ebs_bytes"], signed.calls(account=A)["ebs_bytes"]) == (BLOCK, 0)

    owner.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                    OperationType="remove", UserIds=[B])
    assert failure(lambda: read(b, snapshot, index, token))[0] == "ResourceNotFoundException"


def test_signatures_are_checked_as_aws_checks_them(signed, aws):
    owner = aws(A)
    snapshot = snapshot_of(owner, volume_of(owner))
    assert failure(lambda: aws(A, "ebs", secret="not-the-secret").list_snapshot_blocks(SnapshotId=snapshot)) == (
        "InvalidSignatureException", None, 403)
    stranger = client("ebs", signed.url, key=("AKIANOBODY0000000001", "whatever"))
    assert failure(lambda: stranger.list_snapshot_blocks(SnapshotId=snapshot))[::2] == (
        "UnrecognizedClientException", 403)
    status, headers, _ = raw_ebs(signed, f"/snapshots/{snapshot}/blocks")
    assert (status, headers["x-amzn-errortype"]) == (403, "MissingAuthenticationTokenException")
    assert blocks(aws(A, "ebs"), snapshot)


def test_a_copy_into_another_region_and_account_has_the_source_s_content(signed, aws):
    owner = aws(A)
    snapshot = snapshot_of(owner, volume_of(owner, size=1))
    owner.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add",
                                    UserIds=[B])
    west = aws(B, region="us-west-2")
    copy = west.copy_snapshot(SourceRegion="us-east-1", SourceSnapshotId=snapshot)["SnapshotId"]
    west_ebs = aws(B, "ebs", region="us-west-2")
    assert blocks(west_ebs, copy).keys() == blocks(aws(A, "ebs"), snapshot).keys()
    assert content(signed, "snapshots", copy, "sha256")["sha256"] == content(
        signed, "snapshots", snapshot, "sha256")["sha256"]
    assert failure(lambda: aws(B, "ebs").list_snapshot_blocks(SnapshotId=copy))[0] == "ResourceNotFoundException"
    volume = west.create_volume(AvailabilityZone="us-west-2a", SnapshotId=copy)["VolumeId"]
    assert content(signed, "volumes", volume, "sha256")["sha256"] == content(
        signed, "snapshots", snapshot, "sha256")["sha256"]
