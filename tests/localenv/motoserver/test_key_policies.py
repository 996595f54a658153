"""motoserver.keys.policy_allows: which key policies let another account use a KMS key (the rule EBS and DescribeKey
follow in scripts/moto-server)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts" / "localenv"))

from motoserver.keys import EBS_KEY_ACTIONS, policy_allows  # noqa: E402

B = "345678901234"
EBS_USE = ["kms:Decrypt", "kms:CreateGrant", "kms:ReEncrypt*", "kms:DescribeKey"]


def document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, action) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}


@pytest.mark.parametrize("principal", [
    "*", {"AWS": "*"}, {"AWS": B}, {"AWS": f"arn:aws:iam::{B}:root"},
    {"AWS": ["111122223333", f"arn:aws:iam::{B}:root"]},
])
def test_principals_that_cover_the_account(principal):
    assert policy_allows(document(allow(principal, "kms:*")), B, EBS_KEY_ACTIONS)


@pytest.mark.parametrize("principal", [
    {"AWS": "111122223333"}, {"AWS": f"arn:aws:iam::{B}:user/someone"}, {"Service": "ec2.amazonaws.com"}, None,
])
def test_principals_that_do_not(principal):
    assert not policy_allows(document(allow(principal, "kms:*")), B, EBS_KEY_ACTIONS)


def test_a_named_user_counts_only_for_that_caller():
    policy = document(allow({"AWS": f"arn:aws:iam::{B}:user/mtv-cross"}, "kms:DescribeKey"))
    assert policy_allows(policy, B, ("kms:DescribeKey",), caller_arn=f"arn:aws:iam::{B}:user/mtv-cross")
    assert not policy_allows(policy, B, ("kms:DescribeKey",), caller_arn=f"arn:aws:iam::{B}:user/other")


def test_every_action_ebs_needs_must_be_allowed_across_statements():
    assert policy_allows(document(allow({"AWS": B}, EBS_USE)), B, EBS_KEY_ACTIONS)
    assert policy_allows(document(allow({"AWS": B}, EBS_USE[:2]), allow("*", EBS_USE[2:])), B, EBS_KEY_ACTIONS)
    assert not policy_allows(document(allow({"AWS": B}, ["kms:Decrypt", "kms:DescribeKey"])), B, EBS_KEY_ACTIONS)
    assert policy_allows(document(allow({"AWS": B}, "KMS:Describe*")), B, ("kms:DescribeKey",))


def test_a_matching_deny_wins_and_bad_documents_allow_nothing():
    deny = {"Effect": "Deny", "Principal": {"AWS": B}, "Action": "kms:CreateGrant", "Resource": "*"}
    assert not policy_allows(document(allow("*", "kms:*"), deny), B, EBS_KEY_ACTIONS)
    assert policy_allows(document(allow("*", "kms:*"), deny), B, ("kms:DescribeKey",))
    for bad in ("", "not json", "[]", json.dumps({"Statement": "x"})):
        assert not policy_allows(bad, B, ("kms:DescribeKey",))
