"""KMS keys across accounts, as AWS answers for them and as EBS uses them.

moto keeps each account's keys apart: account B asking for A's key ARN gets ``NotFoundException``, and the keys behind
``alias/aws/*`` (the ``aws/ebs`` key moto makes for default encryption) say ``KeyManager: CUSTOMER``.
``share_keys_across_accounts`` makes moto answer as AWS does:

* ``DescribeKey`` with a key ARN or alias ARN of another account (in the caller's region) succeeds when the key's
  policy lets the caller's account ``kms:DescribeKey``, and otherwise fails with ``AccessDeniedException`` "User: ARN
  is not authorized to perform: kms:DescribeKey on resource: KEY_ARN because no resource-based policy allows the
  kms:DescribeKey action" (the form AWS uses; KMS API reference, DescribeKey: "Cross-account use: Yes. ... specify the
  key ARN or alias ARN"). A key that does not exist stays ``NotFoundException``. Same-account calls are moto's.
* Keys behind ``alias/aws/...`` are AWS managed keys: ``KeyManager: AWS``, never usable by another account (their
  policies cannot be edited to share them; EBS user guide, "Share the KMS key used to encrypt a shared snapshot").

``usable_for_ebs`` is the check EBS makes when it reads or writes a volume or snapshot with a key; the EBS patches of
``snapshots.py`` call it. Policies are the ones given to ``CreateKey`` or ``PutKeyPolicy`` (``Key.policy``).
Evaluation is deliberately small: an ``Allow`` statement counts for account B when its ``Principal`` is ``"*"``,
``{"AWS": "*"}``, ``"B"``, ``"arn:aws:iam::B:root"`` or a list holding one of them (or the calling user's own ARN,
when known); ``Action`` patterns match with shell wildcards, case-insensitively; a matching ``Deny`` wins;
``Condition``, ``NotAction``, ``NotPrincipal``, grants and IAM policies are not evaluated.
"""
from __future__ import annotations

import fnmatch
import json
from typing import Any

# What EBS does with a key of a volume or snapshot it reads (AWS lists DescribeKey, CreateGrant, GenerateDataKey,
# GenerateDataKeyWithoutPlaintext, ReEncrypt and Decrypt; the local environment checks the four below).
EBS_KEY_ACTIONS = ("kms:Decrypt", "kms:CreateGrant", "kms:DescribeKey", "kms:ReEncryptFrom")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_covers(principal: Any, account: str, caller_arn: str | None) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for name in _as_list(principal.get("AWS")):
        if name in ("*", account, f"arn:aws:iam::{account}:root") or (caller_arn and name == caller_arn):
            return True
    return False


def policy_allows(policy: str | None, account: str, actions: tuple[str, ...], caller_arn: str | None = None) -> bool:
    """Whether `policy` (a key policy document) allows `account` every one of `actions`."""
    try:
        document = json.loads(policy or "")
    except ValueError:
        return False
    if not isinstance(document, dict):
        return False
    allowed: set[str] = set()
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or not _principal_covers(statement.get("Principal"), account, caller_arn):
            continue
        patterns = [p.lower() for p in _as_list(statement.get("Action")) if isinstance(p, str)]
        matched = {a for a in actions if any(fnmatch.fnmatchcase(a.lower(), p) for p in patterns)}
        effect = str(statement.get("Effect", "")).lower()
        if effect == "deny" and matched:
            return False
        if effect == "allow":
            allowed |= matched
    return allowed == set(actions)


def resolve_key(reference: str | None, account: str, region: str) -> Any:
    """The moto ``Key`` a KmsKeyId names (key ID, key ARN, ``alias/NAME`` or alias ARN), seen from `account` in
    `region`; None when there is none. An ARN names its own account; a key of another region is not found."""
    if not reference:
        return None
    from moto.kms.models import kms_backends

    owner = account
    if reference.startswith("arn:"):
        parts = reference.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or parts[3] != region:
            return None
        owner = parts[4]
    if not owner.isdigit():
        return None
    backend = kms_backends[owner][region]
    try:
        key_id = backend.any_id_to_key_id(reference)
    except (AttributeError, KeyError, TypeError):
        return None
    return backend.keys.get(key_id)


def usable_for_ebs(key: Any, account: str) -> bool:
    """Whether EBS, acting for `account`, may use `key` (a moto ``Key``, or None for a key that does not exist)."""
    if key is None or not key.enabled or key.key_state != "Enabled":
        return False
    if key.account_id == account:
        return True
    if key.key_manager == "AWS":
        return False
    return policy_allows(key.policy, account, EBS_KEY_ACTIONS)


def caller_arn(response: Any) -> str:
    """The ARN of the IAM user whose access key signed the request, else the account's root."""
    account = response.current_account
    access_key = response.get_access_key()
    try:
        from moto.iam.models import iam_backends

        for key in iam_backends[account]["global"].access_keys.values():
            if key.access_key_id == access_key and key.user_name:
                return f"arn:aws:iam::{account}:user/{key.user_name}"
    except (KeyError, AttributeError):
        pass
    return f"arn:aws:iam::{account}:root"


def share_keys_across_accounts() -> None:
    """Patches moto's KMS: AWS managed keys say so, and DescribeKey reads other accounts' keys by their policies."""
    from moto.core.exceptions import JsonRESTError
    from moto.kms.exceptions import NotFoundException
    from moto.kms.models import KmsBackend, kms_backends
    from moto.kms.responses import KmsResponse

    create_alias = KmsBackend.create_alias

    def create_alias_marking_aws_keys(self: KmsBackend, target_key_id: str, alias_name: str) -> Any:
        alias = create_alias(self, target_key_id, alias_name)
        if alias_name.startswith("alias/aws/"):  # only AWS creates these (CreateAlias refuses the prefix)
            self.keys[self.get_key_id(target_key_id)].key_manager = "AWS"
        return alias

    KmsBackend.create_alias = create_alias_marking_aws_keys  # type: ignore[method-assign]

    describe_key = KmsResponse.describe_key

    def describe_key_across_accounts(self: KmsResponse) -> str:
        reference = self._get_param("KeyId") or ""
        parts = reference.split(":", 5) if reference.startswith("arn:") else []
        if len(parts) != 6 or parts[4] == self.current_account:
            return describe_key(self)
        owner, region = parts[4], parts[3]
        key = resolve_key(reference, owner, region) if region == self.region and owner.isdigit() else None
        if key is None:
            if ":alias/" in reference:
                raise NotFoundException(f"Alias {reference} is not found.")
            raise NotFoundException(f"Key '{reference}' does not exist")
        arn = caller_arn(self)
        if key.key_manager == "AWS" or not policy_allows(key.policy, self.current_account, ("kms:DescribeKey",), arn):
            raise JsonRESTError(
                "AccessDeniedException",
                f"User: {arn} is not authorized to perform: kms:DescribeKey on resource: {key.arn} because no "
                "resource-based policy allows the kms:DescribeKey action")
        kms_backends[owner][region].describe_key(key.id)  # moto's multi-Region bookkeeping
        return json.dumps(key.to_dict())

    KmsResponse.describe_key = describe_key_across_accounts  # type: ignore[method-assign]
