"""moto's server with one lookup made proportional to what it looks up, and a port chosen without a race.

moto answers ``Describe*`` by serialising every resource, and each resource reads its own tags through
``TagBackend.describe_tags(filters={"resource-id": [id]})``, which scans every tag of every resource in the
account. A page of 100 instances in a 2,000-instance, 4,000-volume fleet therefore matches millions of regular
expressions, and one ``DescribeInstances`` call takes tens of seconds. ``index_single_resource_tags`` answers that
exact query (one literal resource ID, no other filter) from the tag dictionary directly; the result is the same
list in the same order, and every other query still goes through moto's own code.

``--port-file FILE`` (instead of ``-p PORT``) lets the kernel pick the port and writes it once the server listens: a port picked
beforehand by a test can be taken by another server of the same test run before moto binds it, and that server
then answers in moto's place.

``--iam-users FILE`` switches moto's signature checking and IAM authorization on from the first request, with the
IAM users of FILE already in place: a JSON list of ``{"account", "user", "accessKeyId", "secretAccessKey"}``
(optional ``"policy"``, a policy document; by default everything is allowed). moto makes up random key IDs for the
keys its own API creates; users seeded here keep the IDs the file gives, so every moto of a test run, and the
Secrets the tests write, share one set of keys. Without it moto checks nothing, as usual.

Accounts see each other as on AWS, not as moto's separate worlds: ``share_snapshots_across_accounts``
(``snapshots.py``) lets an account describe, restore and copy the EBS snapshots another account shared with it
(``ModifySnapshotAttribute createVolumePermission``), honours ``Owner.N`` and ``RestorableBy.N``, keeps KMS keys on
snapshots, volumes and copies as EBS does, and fails volumes and copies whose key the caller may not use the way AWS
fails them; ``share_keys_across_accounts`` (``keys.py``) answers ``DescribeKey`` for another account's key by its key
policy and marks the ``alias/aws/*`` keys AWS managed. Each module's docstring gives the rules and their sources.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from .keys import share_keys_across_accounts
from .snapshots import share_snapshots_across_accounts

__all__ = ["index_single_resource_tags", "main", "seed_iam_users", "share_keys_across_accounts",
           "share_snapshots_across_accounts"]

WILDCARDS = set("*?[]\\")


def index_single_resource_tags() -> None:
    """Replaces ``TagBackend.describe_tags`` by a wrapper with a direct path for one literal resource ID."""
    from moto.ec2.models.tags import TagBackend
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    scan = TagBackend.describe_tags

    def describe_tags(self: TagBackend, filters: dict[str, list[str]] | None = None) -> list[dict[str, str]]:
        ids = (filters or {}).get("resource-id")
        if filters and len(filters) == 1 and ids and len(ids) == 1 and not WILDCARDS & set(ids[0]):
            resource_id = ids[0]
            resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
            tags: dict[str, Any] = self.tags.get(resource_id, {})
            return [{"resource_id": resource_id, "key": key, "value": value, "resource_type": resource_type}
                    for key, value in tags.items()]
        return scan(self, filters)

    TagBackend.describe_tags = describe_tags  # type: ignore[method-assign]


ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def seed_iam_users(path: str) -> None:
    """Turns authentication on and creates the IAM users of `path` with the key IDs and secrets it gives."""
    import json

    with open(path) as handle:
        users = json.load(handle)
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    from moto import settings
    from moto.iam.models import iam_backends

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    for entry in users:
        backend = iam_backends[entry["account"]]["aws"]
        if entry["user"] not in backend.users:
            backend.create_user(region_name="us-east-1", user_name=entry["user"], path="/", tags=[])
            backend.put_user_policy(entry["user"], "local-environment", json.dumps(entry.get("policy", ALLOW_ALL)))
        key = backend.create_access_key(entry["user"])
        del backend.access_keys[key.physical_resource_id]
        key.access_key_id = entry["accessKeyId"]
        key.secret_access_key = entry["secretAccessKey"]
        backend.access_keys[key.physical_resource_id] = key


def serve_on_free_port(host: str, port_file: str) -> None:
    """Serves moto's application on a port the kernel picks; writes the port to `port_file` once listening."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    server = make_server(host, 0, DomainDispatcherApplication(create_backend_app), threaded=True)
    os.environ["MOTO_PORT"] = str(server.port)  # what moto puts in the URLs it returns
    partial = f"{port_file}.partial"
    with open(partial, "w") as handle:
        handle.write(f"{server.port}\n")
    os.replace(partial, port_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> None:
    """Runs ``moto_server`` with the same arguments (or on a free port with ``--port-file``), tag index in place."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("--port-file")
    parser.add_argument("--iam-users")
    known, rest = parser.parse_known_args(argv)
    if known.iam_users:
        seed_iam_users(known.iam_users)
    index_single_resource_tags()
    share_snapshots_across_accounts()
    share_keys_across_accounts()
    if known.port_file:
        if rest:
            parser.error(f"with --port-file only -H/--host is understood, not {' '.join(rest)}")
        serve_on_free_port(known.host, known.port_file)
    else:
        from moto.server import main as serve

        serve(rest + ["-H", known.host])
