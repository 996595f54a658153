"""Accounts as AWS has them, through the proxy to a moto that checks signatures: account A shares EBS snapshots and
KMS keys with account B (scripts/localenv/motoserver), and copies take time in proportion to their size and can fail
(scripts/localenv/ec2proxy). moto is never reset here (its IAM users would go): every test makes its own resources."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import Moto, Proxy, client

A, B, C = "123456789012", "345678901234", "210987654321"
KEYS = {A: ("AKIACROSSTESTA000001", "cross-test-secret-a"), B: ("AKIACROSSTESTB000001", "cross-test-secret-b"),
        C: ("AKIACROSSTESTC000001", "cross-test-secret-c")}
USERS = {A: "owner", B: "mtv-cross", C: "bystander"}
EAST, WEST = "us-east-1", "us-west-2"
NOT_ACCESSIBLE = "Given key ID is not accessible"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cross-account")
    users = tmp / "users.json"
    users.write_text(json.dumps([{"account": account, "user": USERS[account], "accessKeyId": key[0],
                                  "secretAccessKey": key[1]} for account, key in KEYS.items()]))
    moto = Moto(tmp, "--iam-users", str(users), name="cross-moto")
    proxy = Proxy(tmp, moto.url, "--credentials", str(users), "--seed", "3", name="cross-proxy")
    yield proxy
    proxy.stop()
    moto.stop()


@pytest.fixture
def proxy(env):
    status, _ = env.post("reset")
    assert status == 200
    return env


@pytest.fixture
def aws(proxy):
    """aws(account, service="ec2", region=EAST): a client signing with that account's key."""
    return lambda account, service="ec2", region=EAST: client(service, proxy.url, region, key=KEYS[account])


def failure(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"].get("Message", "")


def snapshot_of(aws, size: int = 3, key: str | None = None, tags: dict[str, str] | None = None) -> str:
    """A snapshot of a new `size` GiB volume of account A, encrypted with `key` when given."""
    ec2 = aws(A)
    options = {"Encrypted": True, "KmsKeyId": key} if key else {}
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=size, **options)["VolumeId"]
    spec = [{"ResourceType": "snapshot", "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}]
    return ec2.create_snapshot(VolumeId=volume, **({"TagSpecifications": spec} if tags else {}))["SnapshotId"]


def share(aws, snapshot: str, *accounts: str) -> None:
    aws(A).modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add",
                                     UserIds=list(accounts))


def ids(answer) -> list[str]:
    return [s["SnapshotId"] for s in answer["Snapshots"]]


def policy(*statements) -> str:
    owner = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:*", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [owner, *statements]})


def allow(principal, actions) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*"}


EBS_USE = ["kms:Decrypt", "kms:CreateGrant", "kms:ReEncrypt*", "kms:DescribeKey"]


def default_ebs_key(aws, account: str, region: str = EAST) -> str:
    return aws(account, "kms", region).describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]


# ------------------------------------------------------------------------------------------- sharing snapshots
def test_shared_snapshot_is_seen_restored_and_lost_again_when_unshared(aws):
    snapshot = snapshot_of(aws, size=3, tags={"owner-only": "yes"})
    b, c = aws(B), aws(C)
    assert failure(lambda: b.describe_snapshots(SnapshotIds=[snapshot]))[0] == "InvalidSnapshot.NotFound"
    assert snapshot not in ids(b.describe_snapshots())

    share(aws, snapshot, B)
    [seen] = b.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"]
    assert (seen["OwnerId"], seen["VolumeSize"], seen.get("Tags", [])) == (A, 3, [])  # tags stay the owner's
    assert snapshot in ids(b.describe_snapshots())
    assert snapshot in ids(b.describe_snapshots(RestorableByUserIds=["self"]))
    assert snapshot in ids(b.describe_snapshots(OwnerIds=[A]))
    assert snapshot in ids(b.describe_snapshots(Filters=[{"Name": "owner-id", "Values": [A]}]))
    assert snapshot not in ids(b.describe_snapshots(OwnerIds=["self"]))
    assert snapshot not in ids(b.describe_snapshots(RestorableByUserIds=["all"]))
    assert snapshot in ids(aws(A).describe_snapshots(RestorableByUserIds=[B]))
    assert snapshot not in ids(aws(A).describe_snapshots(RestorableByUserIds=[C]))
    assert snapshot not in ids(c.describe_snapshots())

    volume = b.create_volume(AvailabilityZone="us-east-1b", SnapshotId=snapshot)
    [made] = b.describe_volumes(VolumeIds=[volume["VolumeId"]])["Volumes"]
    assert (made["SnapshotId"], made["Size"], made["State"], made["Encrypted"]) == (snapshot, 3, "available", False)
    assert failure(lambda: aws(A).describe_volumes(VolumeIds=[volume["VolumeId"]]))[0] == "InvalidVolume.NotFound"

    aws(A).modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                     CreateVolumePermission={"Remove": [{"UserId": B}]})
    assert failure(lambda: b.create_volume(AvailabilityZone="us-east-1b", SnapshotId=snapshot)) == (
        "InvalidSnapshot.NotFound", f"The snapshot '{snapshot}' does not exist.")
    assert failure(lambda: b.describe_snapshots(SnapshotIds=[snapshot]))[0] == "InvalidSnapshot.NotFound"


def test_public_snapshot_is_restorable_by_all(aws):
    snapshot = snapshot_of(aws, size=1)
    aws(A).modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                     CreateVolumePermission={"Add": [{"Group": "all"}]})
    c = aws(C)
    assert snapshot in ids(c.describe_snapshots(RestorableByUserIds=["all"]))
    assert snapshot in ids(c.describe_snapshots(RestorableByUserIds=["self"]))
    assert c.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot)["SnapshotId"] == snapshot


def test_shared_snapshot_is_copied_across_regions_into_the_copying_account(aws):
    snapshot = snapshot_of(aws, size=4)
    west = aws(B, region=WEST)
    assert failure(lambda: west.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot))[0] == (
        "InvalidSnapshot.NotFound")
    share(aws, snapshot, B)
    copy = west.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot, Description="to the west")["SnapshotId"]
    [made] = west.describe_snapshots(SnapshotIds=[copy])["Snapshots"]
    assert (made["OwnerId"], made["VolumeSize"], made["State"], made["Encrypted"]) == (B, 4, "completed", False)
    assert copy in ids(west.describe_snapshots(OwnerIds=["self"]))
    assert failure(lambda: aws(A, region=WEST).describe_snapshots(SnapshotIds=[copy]))[0] == (
        "InvalidSnapshot.NotFound")
    own = aws(A, region=WEST).copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot)["SnapshotId"]
    assert aws(A, region=WEST).describe_snapshots(SnapshotIds=[own])["Snapshots"][0]["OwnerId"] == A


def test_another_account_cannot_delete_or_reshare_a_snapshot_it_may_restore(aws):
    snapshot = snapshot_of(aws, size=1)
    share(aws, snapshot, B)
    b = aws(B)
    assert failure(lambda: b.delete_snapshot(SnapshotId=snapshot))[0] == "InvalidSnapshot.NotFound"
    assert failure(lambda: b.modify_snapshot_attribute(
        SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add", UserIds=[C]))[0] == (
        "InvalidSnapshot.NotFound")
    assert ids(aws(A).describe_snapshots(SnapshotIds=[snapshot])) == [snapshot]
    assert snapshot not in ids(aws(C).describe_snapshots())


# ------------------------------------------------------------------------------------------------- encryption
def test_key_shared_by_policy_lets_the_account_restore_and_copy(aws):
    key = aws(A, "kms").create_key(Policy=policy(allow({"AWS": [f"arn:aws:iam::{B}:root"]}, EBS_USE)))
    key_arn = key["KeyMetadata"]["Arn"]
    snapshot = snapshot_of(aws, size=2, key=key["KeyMetadata"]["KeyId"])
    [source] = aws(A).describe_snapshots(SnapshotIds=[snapshot])["Snapshots"]
    assert (source["Encrypted"], source["KmsKeyId"]) == (True, key_arn)
    own = aws(A).create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot)
    assert (own["Encrypted"], own["KmsKeyId"]) == (True, key_arn)  # a snapshot you own: the same key
    share(aws, snapshot, B)

    b = aws(B)
    volume = b.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot)["VolumeId"]
    [made] = b.describe_volumes(VolumeIds=[volume])["Volumes"]
    # A snapshot shared with you: your default EBS key (EBS user guide, encryption outcomes).
    assert (made["State"], made["Encrypted"], made["KmsKeyId"]) == ("available", True, default_ebs_key(aws, B))
    west = aws(B, region=WEST)
    copy = west.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot)["SnapshotId"]
    [copied] = west.describe_snapshots(SnapshotIds=[copy])["Snapshots"]
    assert (copied["State"], copied["Encrypted"], copied["KmsKeyId"]) == (
        "completed", True, default_ebs_key(aws, B, WEST))


def test_kms_key_id_chooses_the_key_of_a_volume_and_a_copy(aws):
    key = aws(A, "kms").create_key(Policy=policy(allow({"AWS": B}, "kms:*")))["KeyMetadata"]["KeyId"]
    snapshot = snapshot_of(aws, size=1, key=key)
    share(aws, snapshot, B)
    mine = aws(B, "kms").create_key()["KeyMetadata"]
    aws(B, "kms").create_alias(AliasName="alias/cross-volumes", TargetKeyId=mine["KeyId"])
    b = aws(B)
    volume = b.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot, Encrypted=True,
                             KmsKeyId="alias/cross-volumes")
    assert b.describe_volumes(VolumeIds=[volume["VolumeId"]])["Volumes"][0]["KmsKeyId"] == mine["Arn"]
    copy = b.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot, Encrypted=True, KmsKeyId=mine["Arn"])
    assert b.describe_snapshots(SnapshotIds=[copy["SnapshotId"]])["Snapshots"][0]["KmsKeyId"] == mine["Arn"]
    assert failure(lambda: b.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot,
                                           KmsKeyId=mine["Arn"]))[0] == "InvalidParameterDependency"
    assert failure(lambda: b.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot,
                                           KmsKeyId=mine["Arn"]))[0] == "InvalidParameterDependency"


@pytest.mark.parametrize("shared_key", ["customer key without the account", "AWS managed key"])
def test_key_the_account_may_not_use_fails_the_volume_and_the_copy_as_on_aws(aws, shared_key):
    if shared_key == "AWS managed key":
        key = None  # Encrypted=true alone: the aws/ebs key, which AWS never shares
        volume = aws(A).create_volume(AvailabilityZone="us-east-1a", Size=2, Encrypted=True)["VolumeId"]
        snapshot = aws(A).create_snapshot(VolumeId=volume)["SnapshotId"]
    else:
        key = aws(A, "kms").create_key(Policy=policy(allow({"AWS": C}, "kms:*")))["KeyMetadata"]["KeyId"]
        snapshot = snapshot_of(aws, size=2, key=key)
    share(aws, snapshot, B)
    b = aws(B)
    # AWS accepts CreateVolume and deletes the volume: here it is gone at once.
    volume = b.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot)
    assert volume["State"] == "creating"
    assert failure(lambda: b.describe_volumes(VolumeIds=[volume["VolumeId"]]))[0] == "InvalidVolume.NotFound"
    assert volume["VolumeId"] not in [v["VolumeId"] for v in b.describe_volumes()["Volumes"]]
    # AWS accepts CopySnapshot and fails the copy, re-encrypting with the account's own key or not.
    for options in ({}, {"Encrypted": True, "KmsKeyId": "alias/aws/ebs"}):
        copy = b.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot, **options)["SnapshotId"]
        [failed] = b.describe_snapshots(SnapshotIds=[copy])["Snapshots"]
        assert (failed["State"], failed["StateMessage"], failed["OwnerId"]) == ("error", NOT_ACCESSIBLE, B)


# ---------------------------------------------------------------------------------------------------- KMS keys
def test_describe_key_of_another_account_follows_the_key_policy(aws):
    kms_a, kms_b = aws(A, "kms"), aws(B, "kms")
    allowed = kms_a.create_key(Policy=policy(allow({"AWS": B}, "kms:Describe*")))["KeyMetadata"]
    kms_a.create_alias(AliasName="alias/shared-with-b", TargetKeyId=allowed["KeyId"])
    assert kms_b.describe_key(KeyId=allowed["Arn"])["KeyMetadata"]["KeyId"] == allowed["KeyId"]
    alias_arn = f"arn:aws:kms:{EAST}:{A}:alias/shared-with-b"
    assert kms_b.describe_key(KeyId=alias_arn)["KeyMetadata"]["Arn"] == allowed["Arn"]

    private = kms_a.create_key()["KeyMetadata"]
    assert failure(lambda: kms_b.describe_key(KeyId=private["Arn"])) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{B}:user/mtv-cross is not authorized to perform: kms:DescribeKey on resource: "
        f"{private['Arn']} because no resource-based policy allows the kms:DescribeKey action")
    assert failure(lambda: kms_b.describe_key(KeyId=private["KeyId"]))[0] == "NotFoundException"  # B's own keys
    assert kms_a.describe_key(KeyId=private["KeyId"])["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    kms_a.put_key_policy(KeyId=private["KeyId"], PolicyName="default", Policy=policy(allow("*", "kms:*")))
    assert kms_b.describe_key(KeyId=private["Arn"])["KeyMetadata"]["KeyId"] == private["KeyId"]
    kms_a.put_key_policy(KeyId=private["KeyId"], PolicyName="default", Policy=policy(
        allow("*", "kms:*"), {"Effect": "Deny", "Principal": {"AWS": B}, "Action": "kms:DescribeKey", "Resource": "*"}))
    assert failure(lambda: kms_b.describe_key(KeyId=private["Arn"]))[0] == "AccessDeniedException"

    missing = private["Arn"].rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    assert failure(lambda: kms_b.describe_key(KeyId=missing))[0] == "NotFoundException"


def test_the_ebs_default_key_is_aws_managed_and_never_another_accounts(aws):
    volume = aws(A).create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True)
    metadata = aws(A, "kms").describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert (metadata["KeyManager"], metadata["Arn"]) == ("AWS", volume["KmsKeyId"])
    code, message = failure(lambda: aws(B, "kms").describe_key(KeyId=f"arn:aws:kms:{EAST}:{A}:alias/aws/ebs"))
    assert code == "AccessDeniedException" and metadata["Arn"] in message


# ------------------------------------------------------------------------------------ copies through the proxy
def test_copy_is_pending_for_its_size_and_progress_rises_linearly(proxy, aws):
    proxy.timings(copy=10, copy_per_gib=2)
    proxy.clock(freeze=True)
    west = aws(A, region=WEST)
    small = west.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot_of(aws, size=5))["SnapshotId"]
    large = west.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot_of(aws, size=20))["SnapshotId"]
    assert [proxy.resources(id=copy)[0]["phases"][0]["duration_s"] for copy in (small, large)] == [20.0, 50.0]

    def shown(snapshot):
        [s] = west.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"]
        return s["State"], s["Progress"]

    assert shown(small) == ("pending", "0%")
    assert ids(west.describe_snapshots(Filters=[{"Name": "status", "Values": ["pending"]}], OwnerIds=["self"])) == [
        small, large]
    proxy.clock(advance=5)
    assert shown(small) == ("pending", "25%")
    proxy.clock(advance=10)
    assert (shown(small), shown(large)) == (("pending", "75%"), ("pending", "30%"))
    proxy.clock(advance=5)
    assert (shown(small), shown(large)) == (("completed", "100%"), ("pending", "40%"))
    proxy.clock(advance=30)
    assert shown(large) == ("completed", "100%")


def test_errors_next_copy_fails_the_next_copy_only(proxy, aws):
    proxy.timings(copy=4, snapshot=2)
    proxy.clock(freeze=True)
    status, armed = proxy.post("errors-next", {"copy": 1})
    assert (status, armed) == (200, {"copy": 1, "snapshot": 0, "volume": 0})
    source = snapshot_of(aws, size=1)  # a CreateSnapshot does not take the copy's error
    west = aws(A, region=WEST)
    failed = west.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=source)["SnapshotId"]
    fine = west.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=source)["SnapshotId"]
    assert proxy.get("errors-next")[1]["copy"] == 0
    assert {s["SnapshotId"]: s["State"] for s in west.describe_snapshots(SnapshotIds=[failed, fine])["Snapshots"]} == {
        failed: "pending", fine: "pending"}
    proxy.clock(advance=4)
    answer = {s["SnapshotId"]: s for s in west.describe_snapshots(SnapshotIds=[failed, fine])["Snapshots"]}
    assert (answer[failed]["State"], answer[failed]["StateMessage"]) == (
        "error", "The snapshot could not be copied due to an internal error.")
    assert answer[fine]["State"] == "completed" and "StateMessage" not in answer[fine]
    assert aws(A).describe_snapshots(SnapshotIds=[source])["Snapshots"][0]["State"] == "completed"
    assert proxy.post("errors-next", {"kind": "copies"})[0] == 400


def test_copy_moto_fails_for_its_key_is_pending_then_error(proxy, aws):
    key = aws(A, "kms").create_key()["KeyMetadata"]["KeyId"]
    snapshot = snapshot_of(aws, size=3, key=key)
    share(aws, snapshot, B)
    proxy.timings(copy=6)
    proxy.clock(freeze=True)
    b = aws(B)
    copy = b.copy_snapshot(SourceRegion=EAST, SourceSnapshotId=snapshot)["SnapshotId"]
    [pending] = b.describe_snapshots(SnapshotIds=[copy])["Snapshots"]
    assert (pending["State"], pending["Progress"], "StateMessage" in pending) == ("pending", "0%", False)
    proxy.clock(advance=6)
    [failed] = b.describe_snapshots(SnapshotIds=[copy])["Snapshots"]
    assert (failed["State"], failed["StateMessage"]) == ("error", NOT_ACCESSIBLE)
    [track] = proxy.resources(id=copy)
    assert (track["final_state"], track["phases"][0]["error_message"]) == ("error", NOT_ACCESSIBLE)


def test_volume_moto_drops_for_its_key_shows_creating_then_deleted_in_the_timeline(proxy, aws):
    key = aws(A, "kms").create_key()["KeyMetadata"]["KeyId"]
    snapshot = snapshot_of(aws, size=1, key=key)
    share(aws, snapshot, B)
    proxy.timings(volume=3)
    proxy.clock(freeze=True)
    volume = aws(B).create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot)["VolumeId"]
    [track] = proxy.resources(id=volume)
    assert (track["state"], track["final_state"]) == ("creating", "deleted")
    proxy.clock(advance=3)
    [track] = proxy.resources(id=volume)
    assert track["state"] == "deleted" and "KMS key" in track["phases"][0]["error_message"]


def test_copy_timings_are_validated_and_taken_from_the_command_line(proxy, start_proxy):
    assert proxy.post("timings", {"copy": -1})[0] == 400
    assert proxy.post("timings", {"copy_per_gib": "fast"})[0] == 400
    other = start_proxy(proxy.get("healthz")[1]["upstream"], "--state-delays", "copy=5,copy_per_gib=0.25")
    assert {k: v for k, v in other.get("timings")[1].items() if k.startswith("copy")} == {
        "copy": 5.0, "copy_per_gib": 0.25}
    status, out = other.post("reset")
    assert (status, out["timings"]["copy"]) == (200, 5.0)
