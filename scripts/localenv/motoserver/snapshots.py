"""EBS snapshots shared across accounts, and the KMS keys of the volumes and copies made from them, as on AWS.

moto records ``ModifySnapshotAttribute`` create-volume permissions but never reads them: each account sees only its
own backend, so account B cannot describe, restore or copy a snapshot account A shared with it, ``Owner.N`` and
``RestorableBy.N`` are ignored, and keys are lost (snapshots of encrypted volumes, volumes of encrypted snapshots and
copies carry no ``KmsKeyId``). ``share_snapshots_across_accounts`` patches moto so that:

* ``DescribeSnapshots`` answers what the caller may restore (EC2 API reference, DescribeSnapshots): its own snapshots
  plus the snapshots of other accounts in the region shared with it (``UserId``) or public (``Group=all``).
  ``Owner.N`` (account IDs, ``self``) keeps those owners' snapshots; ``RestorableBy.N`` (account IDs, ``self``,
  ``all``) keeps the snapshots those accounts can restore (``all``: public ones); ``SnapshotId.N`` finds a shared
  snapshot and is ``InvalidSnapshot.NotFound`` for one that is not. ``OwnerId`` is the real owner. Tags are the
  caller's own: a shared snapshot shows none of its owner's tags.
* ``CreateVolume SnapshotId=`` and ``CopySnapshot SourceSnapshotId=`` (from ``SourceRegion``, into the region the
  request is sent to) accept a snapshot shared with the caller; the volume or copy belongs to the caller. Once the
  permission is revoked the snapshot is ``InvalidSnapshot.NotFound`` ("The snapshot 'ID' does not exist.") again.
  ``DeleteSnapshot``, ``ModifySnapshotAttribute`` and ``DescribeSnapshotAttribute`` still see only the caller's own
  snapshots, so another account's snapshot is ``InvalidSnapshot.NotFound`` to them, as moto answers.
* Keys follow the EBS user guide's encryption outcome tables ("Amazon EBS encryption examples", "Encryption outcomes
  for snapshot copies"): a snapshot keeps its volume's key; a volume made from an encrypted snapshot the caller owns
  keeps the snapshot's key, one made from a shared encrypted snapshot gets the caller's default EBS key; a copy of
  an encrypted snapshot gets the caller's default EBS key in the destination region; ``KmsKeyId`` (which needs
  ``Encrypted=true``, else ``InvalidParameterDependency``) chooses the key instead. KmsKeyId is shown as a key ARN.
* The source snapshot's key, and a ``KmsKeyId`` given, must be usable by the caller (``keys.usable_for_ebs``: a key
  of its own, or another account's customer managed key whose policy allows it; never another account's AWS
  managed key). When one is not, AWS accepts the call and fails afterwards, and so does this model:
  - ``CopySnapshot`` answers a snapshot ID, and the copy is ``error`` with StateMessage "Given key ID is not
    accessible" (EBS user guide, "Copy an Amazon EBS snapshot": "if you attempt to copy an encrypted snapshot
    without having permissions to use the encryption key, the operation fails silently and the snapshot copy
    receives the 'Given key ID is not accessible' status message"; EC2 API reference, Snapshot.StateMessage).
  - ``CreateVolume`` answers the volume in state ``creating``, and the volume is gone at once: every later call
    naming it is ``InvalidVolume.NotFound``. On AWS the volume is deleted silently a few seconds later (EBS user
    guide, EventBridge ``createVolume`` event with result ``failed``; kubernetes/kubernetes#48438 and #62171,
    kubernetes-sigs/aws-ebs-csi-driver#3010: "ec2.CreateVolume returns success + valid AWS EBS ... this AWS EBS
    disappears after few seconds"). Here it never lingers, so every run sees the same thing; the EC2 proxy shows such a volume as
    ``creating`` for its ``volume`` delay and then ``deleted`` in its resource timeline.
"""
from __future__ import annotations

import copy
from typing import Any

from .keys import resolve_key, usable_for_ebs

KEY_NOT_ACCESSIBLE = "Given key ID is not accessible"


def _foreign_backends(account: str, region: str):
    """The EC2 backends of the other accounts moto has made in `region` (none is created by looking)."""
    from moto.ec2.models import ec2_backends

    for other, regions in list(ec2_backends.items()):
        if other != account:
            backend = dict.get(regions, region)
            if backend is not None:
                yield backend


def _restorable_by(snapshot: Any, account: str) -> bool:
    return (snapshot.owner_id == account or account in snapshot.create_volume_permission_userids
            or "all" in snapshot.create_volume_permission_groups)


def _view(snapshot: Any, backend: Any) -> Any:
    """Another account's snapshot as `backend`'s account sees it: its own tags (none of the owner's)."""
    seen = copy.copy(snapshot)
    seen.ec2_backend = backend
    return seen


def _shared_with(backend: Any, region: str) -> list[Any]:
    account = backend.account_id
    return [_view(s, backend) for other in _foreign_backends(account, region)
            for s in list(other.snapshots.values()) if _restorable_by(s, account)]


def _snapshot_not_found(snapshot_id: str) -> Exception:
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError("InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist.")


def _restorable_snapshot(backend: Any, snapshot_id: str, region: str) -> Any:
    """The snapshot `backend`'s account may restore in `region`: its own (moto's view) or one shared with it; None
    when there is none."""
    from moto.ec2.models import ec2_backends

    own = ec2_backends[backend.account_id][region]
    if snapshot_id in own.snapshots:
        return own.snapshots[snapshot_id]
    for other in _foreign_backends(backend.account_id, region):
        snapshot = other.snapshots.get(snapshot_id)
        if snapshot is not None and _restorable_by(snapshot, backend.account_id):
            return snapshot
    return None


def _visible_snapshot(backend: Any, snapshot_id: str, region: str) -> Any:
    """`_restorable_snapshot`, or ``InvalidSnapshot.NotFound`` as AWS words it."""
    snapshot = _restorable_snapshot(backend, snapshot_id, region)
    if snapshot is None:
        raise _snapshot_not_found(snapshot_id)
    return snapshot


def _default_key(backend: Any) -> str:
    return backend.default_kms_key_id or backend._create_default_encryption_key()


def _key_arn(reference: str, account: str, region: str) -> str:
    key = resolve_key(reference, account, region)
    return key.arn if key is not None else reference


def share_snapshots_across_accounts() -> None:
    """Patches moto's EBS model and responses as the module docstring describes."""
    from moto.ec2.exceptions import InvalidParameterDependency, InvalidSnapshotIdError
    from moto.ec2.models.elastic_block_store import EBSBackend, Snapshot, Volume
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore
    from moto.ec2.utils import generic_filter, random_snapshot_id

    create_snapshot = EBSBackend.create_snapshot

    def create_snapshot_with_key(self: EBSBackend, volume_id: str, description: str, *args: Any,
                                 **kwargs: Any) -> Snapshot:
        snapshot = create_snapshot(self, volume_id, description, *args, **kwargs)
        if snapshot.encrypted and snapshot.kms_key_id is None:
            snapshot.kms_key_id = snapshot.volume.kms_key_id
        return snapshot

    create_volume = EBSBackend.create_volume

    def create_volume_from_any_snapshot(self: EBSBackend, size: int | None, zone_name: str,
                                        snapshot_id: str | None = None, encrypted: bool = False,
                                        kms_key_id: str | None = None, **kwargs: Any) -> Volume:
        if kms_key_id and not encrypted:
            raise InvalidParameterDependency("KmsKeyId", "Encrypted")
        account, region = self.account_id, self.region_name
        usable = True
        key = None
        if snapshot_id:
            snapshot = _visible_snapshot(self, snapshot_id, region)
            if size is None:
                size = snapshot.volume.size
            if snapshot.encrypted:
                encrypted = True
                if snapshot.kms_key_id:
                    usable = usable_for_ebs(resolve_key(snapshot.kms_key_id, snapshot.owner_id, region), account)
                owned = snapshot.owner_id == account and snapshot.kms_key_id
                key = snapshot.kms_key_id if owned else None
        if kms_key_id:
            usable = usable and usable_for_ebs(resolve_key(kms_key_id, account, region), account)
            key = _key_arn(kms_key_id, account, region)
        if encrypted and key is None:
            key = _default_key(self)
        volume = create_volume(self, size, zone_name, snapshot_id=None, encrypted=encrypted, kms_key_id=key,
                               **kwargs)
        volume.snapshot_id = snapshot_id
        volume.key_unusable = not usable  # CreateVolume answers such a volume, then drops it (module docstring)
        return volume

    def copy_snapshot_from_any_account(self: EBSBackend, source_snapshot_id: str, source_region: str,
                                       description: str, kms_key_id: str | None, encrypted: bool = False) -> Snapshot:
        if kms_key_id and not encrypted:
            raise InvalidParameterDependency("KmsKeyId", "Encrypted")
        account, region = self.account_id, self.region_name
        source = _visible_snapshot(self, source_snapshot_id, source_region)
        usable = True
        if source.encrypted and source.kms_key_id:
            usable = usable_for_ebs(resolve_key(source.kms_key_id, source.owner_id, source_region), account)
        key = None
        if kms_key_id:
            usable = usable and usable_for_ebs(resolve_key(kms_key_id, account, region), account)
            key = _key_arn(kms_key_id, account, region)
        elif source.encrypted or encrypted:
            key = _default_key(self)
        snapshot = Snapshot(self, random_snapshot_id(), volume=source.volume, description=description,
                            encrypted=source.encrypted or encrypted, kms_key_id=key)
        if not usable:
            snapshot.status = "error"
            snapshot.state_message = KEY_NOT_ACCESSIBLE
        self.snapshots[snapshot.id] = snapshot
        return snapshot

    def describe_restorable_snapshots(self: EBSBackend, snapshot_ids: list[str] | None = None, filters: Any = None,
                                      owners: list[str] | None = None,
                                      restorable_by: list[str] | None = None) -> list[Snapshot]:
        account, region = self.account_id, self.region_name
        if snapshot_ids:
            wanted = set(snapshot_ids)
            matches = [s for s in self.snapshots.values() if s.id in wanted]
            for snapshot_id in sorted(wanted - {s.id for s in matches}):
                shared = _restorable_snapshot(self, snapshot_id, region)
                if shared is None:  # not shared with the caller: as moto answers an unknown ID
                    raise InvalidSnapshotIdError()
                matches.append(_view(shared, self))
        else:
            matches = list(self.snapshots.values()) + _shared_with(self, region)
        if owners:
            wanted = {account if o == "self" else o for o in owners}
            matches = [s for s in matches if s.owner_id in wanted]
        if restorable_by:
            def restorable(s: Snapshot, who: str) -> bool:
                if who == "all":
                    return "all" in s.create_volume_permission_groups
                return _restorable_by(s, account if who == "self" else who)

            matches = [s for s in matches if any(restorable(s, who) for who in restorable_by)]
        if filters:
            matches = generic_filter(filters, matches)
        return matches

    EBSBackend.create_snapshot = create_snapshot_with_key  # type: ignore[method-assign]
    EBSBackend.create_volume = create_volume_from_any_snapshot  # type: ignore[method-assign]
    EBSBackend.copy_snapshot = copy_snapshot_from_any_account  # type: ignore[method-assign]
    EBSBackend.describe_snapshots = describe_restorable_snapshots  # type: ignore[method-assign]

    answer_create_volume = ElasticBlockStore.create_volume

    def create_volume_answering_lost_volumes(self: ElasticBlockStore) -> Any:
        """Only CreateVolume loses a volume to its key; RunInstances' block devices are left as moto makes them."""
        result = answer_create_volume(self)
        volume = getattr(result, "result", None)
        if getattr(volume, "key_unusable", False):
            volume.lost_to_unusable_key = True  # answered `creating`
            self.ec2_backend.volumes.pop(volume.id, None)
            self.ec2_backend.tags.pop(volume.id, None)
        return result

    def copy_snapshot_answer(self: ElasticBlockStore) -> Any:
        from moto.core.responses import ActionResult

        tags = self._parse_tag_specification().get("snapshot", {})
        self.error_on_dryrun()
        snapshot = self.ec2_backend.copy_snapshot(
            source_snapshot_id=self._get_param("SourceSnapshotId"), source_region=self._get_param("SourceRegion"),
            description=self._get_param("Description"), kms_key_id=self._get_param("KmsKeyId"),
            encrypted=self._get_bool_param("Encrypted", False))
        snapshot.add_tags(tags)
        return ActionResult({"SnapshotId": snapshot.id, "Tags": snapshot.tag_set})

    def describe_snapshots_answer(self: ElasticBlockStore) -> Any:
        from moto.core.responses import ActionResult

        snapshots = self.ec2_backend.describe_snapshots(
            snapshot_ids=self._get_param("SnapshotIds", []), filters=self._filters_from_querystring(),
            owners=self._get_param("OwnerIds", []), restorable_by=self._get_param("RestorableByUserIds", []))
        return ActionResult({"Snapshots": snapshots})

    modify_snapshot_attribute = ElasticBlockStore.modify_snapshot_attribute

    def modify_snapshot_attribute_answer(self: ElasticBlockStore) -> Any:
        """Also reads the ``CreateVolumePermission.Add/Remove.N.UserId|Group`` form of the request."""
        from moto.core.responses import EmptyResult

        permission = self._get_param("CreateVolumePermission") or {}
        if not permission:
            return modify_snapshot_attribute(self)
        snapshot_id = self._get_param("SnapshotId")
        self.error_on_dryrun()
        for operation, change in (("Add", self.ec2_backend.add_create_volume_permission),
                                  ("Remove", self.ec2_backend.remove_create_volume_permission)):
            entries = permission.get(operation) or []
            users = [e["UserId"] for e in entries if e.get("UserId")]
            groups = [e["Group"] for e in entries if e.get("Group")]
            if users or groups:
                change(snapshot_id, user_ids=users, groups=groups)
        return EmptyResult()

    ElasticBlockStore.create_volume = create_volume_answering_lost_volumes  # type: ignore[method-assign]
    ElasticBlockStore.copy_snapshot = copy_snapshot_answer  # type: ignore[method-assign]
    ElasticBlockStore.describe_snapshots = describe_snapshots_answer  # type: ignore[method-assign]
    ElasticBlockStore.modify_snapshot_attribute = modify_snapshot_attribute_answer  # type: ignore[method-assign]

    status = Volume.status

    def status_of_lost_volume(self: Volume) -> str:
        return "creating" if getattr(self, "lost_to_unusable_key", False) else status.fget(self)

    Volume.status = property(status_of_lost_volume)  # type: ignore[method-assign,assignment]
