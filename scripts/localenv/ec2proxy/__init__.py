"""EC2 fault/state proxy: a stdlib-only reverse proxy in front of moto.

Every request (any path, method, headers, body) is forwarded to moto and the
answer relayed, so AWS_ENDPOINT_URL can point here for EC2, STS and anything
else. Towards clients the proxy speaks HTTP/1.1 with keep-alive (moto closes
every connection); each request gets its own upstream connection.

Usage::

    scripts/ec2-proxy --upstream http://127.0.0.1:MOTO_PORT [--host 127.0.0.1] [--port 0]
                      [--port-file FILE] [--log FILE] [--log-size N]
                      [--state-delays stop=5,start=3,snapshot=10,volume=4,copy=20,copy_per_gib=0.5]
                      [--enforce-states] [--no-idempotency] [--seed N] [--verbose]
                      [--credentials USERS_FILE] [--tls-cert F --tls-key F]
                      [--ebs-blocks-per-volume 16] [--ebs-mibps 0] [--ebs-rps 0]

What it adds to moto
--------------------
* Counters per Action (query-protocol ``Action`` from the form body or the
  query string; ``X-Amz-Target`` for JSON services; ``service:METHOD /seg``
  for REST ones), per service and per ``x-moto-account-id`` account, and a
  bounded call log (time, action, ids and filter names, status, fault).
* Faults per Action (or ``*``, ``ec2:*``, ``sts:GetCallerIdentity``):
  ``error`` (EC2 ``<Response><Errors>`` envelope, STS/IAM ``<ErrorResponse>``
  envelope, or JSON for JSON/REST services), ``html`` (non-XML body such as a
  load balancer's 502), ``reset`` (connection dropped with RST, or a plain
  close, without a response; after reading the request, after forwarding it,
  or right at connect), ``truncate`` (half the real response, then the
  connection is closed) and ``latency`` (fixed ms or a [min, max] range).
  A fault fires for the next ``count`` calls, with a ``probability`` (own RNG
  seeded from ``seed`` or ``--seed``), or always. ``"after": true`` forwards
  the call first (the action happens in moto) and then shows the fault.
* State progression (durations in seconds, 0 disables): after StopInstances
  the instance shows ``stopping`` (64) in DescribeInstances and
  DescribeInstanceStatus until the ``stop`` delay passed; after StartInstances
  ``pending`` (0) for ``start``; after CreateSnapshot/CreateSnapshots
  the snapshot is ``pending`` with Progress rising linearly 0%..99% over
  ``snapshot``, then ``completed``; after CopySnapshot the copy is
  ``pending`` the same way for ``copy`` + ``copy_per_gib`` x its
  VolumeSize (asked of moto with a DescribeSnapshots of the caller's own),
  then what moto says (``completed``, or ``error`` when the caller may not
  use the source's KMS key); after CreateVolume the volume is ``creating``
  for ``volume`` (a volume moto answers ``creating`` was dropped for its
  KMS key: the timeline shows it ``deleted`` after the delay). CreateSnapshots responses gain the
  ``<state>`` moto leaves out. ``stopped -> stopping`` no-op answers become
  ``stopped -> stopped`` as on AWS. State filters (``instance-state-name``,
  ``instance-state-code``, snapshot/volume ``status``) are evaluated by the
  proxy while a resource is shown in a state moto does not report.
* Error states: ``errors-next`` makes the next created snapshot/volume/copy
  end in ``error`` (with ``statusMessage`` for snapshots and copies) instead
  of its final state.
* ClientToken idempotency for CreateVolume and RunInstances (moto ignores the
  token): a repeat with the same token and parameters replays the first
  answer; different parameters give ``IdempotentParameterMismatch``.
* ``--enforce-states``: StartInstances on a ``stopping`` instance,
  StopInstances on a ``pending`` one, AttachVolume/CreateSnapshot on a
  ``creating`` volume and CreateVolume from a ``pending``/``error`` snapshot
  fail as on AWS (IncorrectInstanceState / IncorrectState).
* Resource timeline: for every tracked resource, when its final state became
  visible (``final_at``), when a Describe first showed it to a client
  (``first_seen_final_at``) and the first mutating call naming it afterwards
  (``next_mutation``, ``reaction_s``).
* moto unreachable: 502 with an EC2-style ``ServiceUnavailable`` error.
* EBS volume content (``blockstore``): every volume the proxy learns of
  (RunInstances, CreateVolume, DescribeVolumes answers; a size it lacks is
  asked of moto) has 512 KiB blocks, S x 2048 for S GiB, of which
  ``--ebs-blocks-per-volume`` (default 16, block 0 included, the others drawn
  from ``--seed`` and the volume ID) are allocated; the rest read as zeros. A
  block's bytes are SHAKE-256 of (seed, source volume, index, generation);
  a write bumps the generation. CreateSnapshot(s) answers take a
  copy-on-write view of the volume and its lineage, CopySnapshot copies the
  view, CreateVolume from a snapshot starts from it, DeleteSnapshot forgets it.
* The EBS direct API reads, answered by the proxy itself (``ebsdirect``;
  REST-JSON, SigV4 service ``ebs``): ListSnapshotBlocks, ListChangedBlocks,
  GetSnapshotBlock (``x-amz-Data-Length``, ``x-amz-Checksum`` base64 SHA-256,
  ``x-amz-Checksum-Algorithm: SHA256``). Signatures are verified with
  ``--credentials``; a caller reads its own snapshots and those shared with
  it (moto is asked with a DescribeSnapshots of the caller's own). Limits on
  the proxy clock: ``--ebs-rps`` calls per second per account and action,
  ``--ebs-mibps`` GetSnapshotBlock MiB/s per snapshot; over either,
  RequestThrottledException (400). Errors are ``{"Message", "Reason"}`` with
  ``x-amzn-ErrorType``. README.md lists every error, Reason and header.

Control API (JSON, no auth, never forwarded)
--------------------------------------------
GET    /__proxy/healthz               {"ok", "upstream", "upstream_reachable", "uptime_s", "port"}
GET    /__proxy/calls[?account=A][&action=X]
                                      {"total", "by_action", "by_service", "by_account",
                                       "by_status", "injected", "ebs_bytes", "ebs_blocks",
                                       "ebs_by_snapshot": {snap: {"blocks", "bytes"}}};
                                       with account: that account only ("total", "by_action",
                                       "ebs_bytes", "ebs_blocks"); with action: also "count"
POST   /__proxy/calls/reset           clear counters and the call log
GET    /__proxy/log[?limit=N][&action=X][&since=SEQ]
                                      {"entries": [{"seq","ts","action","service","account",
                                       "region","method","path","params","filters","status",
                                       "fault","latency_ms","ms"}]}
POST   /__proxy/faults                arm one fault (object) or several (list), e.g.
                                      {"action":"CreateVolume","code":"RequestLimitExceeded",
                                       "status":503,"count":2}
                                      {"action":"*","kind":"error","code":"InternalError",
                                       "probability":0.2,"seed":7}
                                      {"action":"DescribeInstances","kind":"latency","ms":[100,300]}
                                      {"action":"CreateVolume","kind":"reset","after":true,"count":1}
                                      {"action":"DescribeVolumes","kind":"html","status":502}
                                      {"action":"ebs:GetSnapshotBlock","kind":"corrupt","count":1}
                                      fields: action, service, account, kind
                                      (error|html|reset|truncate|latency|corrupt), code, message,
                                      reason (EBS direct APIs' Reason), status,
                                      count, probability, seed, after, ms | min_ms/max_ms,
                                      mode (rst|close), when (request|connect: drop new
                                      connections before reading; action "*" only), body,
                                      content_type  -> 201 {"faults":[...]}
GET    /__proxy/faults                {"faults": [{..., "matched", "fired", "remaining"}]}
DELETE /__proxy/faults[/ID]           disarm all (or one)
POST   /__proxy/timings               {"stop":5,"start":3,"snapshot":10,"volume":4,"copy":20,
                                       "copy_per_gib":0.5,"enforce":false}
                                      (partial updates allowed; seconds, 0 disables)
GET    /__proxy/timings
POST   /__proxy/errors-next           {"snapshot":1} / {"volume":2} / {"copy":1} /
                                      {"kind":"snapshot","count":1,"message":"..."}
GET    /__proxy/errors-next           how many are armed;  DELETE clears them
GET    /__proxy/resources[?kind=instance|snapshot|volume][&id=ID][&account=A]
                                      {"now", "resources": [{"id","kind","account","region",
                                       "state","progress","final","final_state","final_at",
                                       "first_seen_final_at","next_mutation","reaction_s",
                                       "phases":[...]}]}   (times are Unix epoch seconds)
GET    /__proxy/ebs                   {"blocks_per_volume", "mibps", "rps", "volumes", "snapshots"}
POST   /__proxy/ebs                   partial update of blocks_per_volume, mibps, rps
POST   /__proxy/volumes/{id}/write    {"blocks": [i, ...]} -> {"volume", "written", "allocated", "writes"}
POST   /__proxy/volumes/{id}/dirty    {"blocks_per_second": r} (0 stops) -> {"volume", "dirty"}; GET too
GET    /__proxy/volumes/{id}/blocks   {"volume", "account", "region", "size_gib", "block_size",
                                       "block_count", "lineage", "allocated", "writes", "dirty",
                                       "blocks": [{"index", "generation"[, "source"]}]}
GET    /__proxy/volumes/{id}/sha256   {"volume", "size_gib", "bytes", "sha256"} (whole image, hex)
GET    /__proxy/snapshots/{id}/blocks {"snapshot", "volume", "account", "region", "lineage",
                                       "size_gib", "block_size", "block_count", "allocated", "blocks"}
GET    /__proxy/snapshots/{id}/sha256 {"snapshot", "size_gib", "bytes", "sha256"}
POST   /__proxy/reset                 faults, counters, log, timings (back to the command line
                                      values), armed errors, resources and tokens, content and EBS
                                      settings and limits; moto is not touched. A POST
                                      /moto-api/reset through the proxy clears resources, tokens
                                      and content.
"""

__all__ = ["main"]


def main(argv=None) -> int:
    from .cli import main as _main

    return _main(argv)
