"""The EBS direct APIs (reads), answered by the proxy from its block store, and what feeds the store.

moto's EBS direct APIs know only snapshots made with their own StartSnapshot, and moto volumes hold nothing. The
proxy answers ``ListSnapshotBlocks``, ``ListChangedBlocks`` and ``GetSnapshotBlock`` itself (REST-JSON, SigV4 service
``ebs``; ``awsreq.EBS_ROUTES``) from the content of ``blockstore``, which it fills from moto's EC2 answers
(``observe``): volumes from RunInstances, CreateVolume and DescribeVolumes; snapshots from CreateSnapshot(s), taken
at the moment moto answers; copies from CopySnapshot; DeleteSnapshot and DeleteVolume forget them.

A call is checked as AWS would: the signature (with ``--credentials``; else not at all), the caller's calls per second
(``rps`` per account and action), the parameters, then whether the caller may read the snapshot, which moto knows
(sharing is modelled by scripts/localenv/motoserver): the proxy asks it with a DescribeSnapshots of the caller's own
(``upstream.ask_ec2``) and remembers a yes until sharing changes through the proxy. A snapshot moto has but the proxy
did not see taken gets its volume's content as it is when first read. GetSnapshotBlock then takes from the
snapshot's byte budget (``mibps``): over it, it answers RequestThrottledException, as AWS documents for the
per-snapshot limit (EBS user guide, "Error retries"), rather than slowing down.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import collections
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .awsreq import AwsRequest
from .blockstore import BLOCK_SIZE, Snapshot, StoreError, Volume
from .faults import DEFAULT_STATUS, error_response, request_id
from .rewrite import Doc
from .upstream import ask_ec2

if TYPE_CHECKING:
    from .server import Handler

Response = tuple[int, list[tuple[str, str]], bytes]

EXPIRY_S = 7 * 24 * 3600  # block tokens are valid for seven days (EBS direct APIs FAQ)
MAX_RESULTS = 10000  # API reference: 100..10000; below 100 AWS answers at least 100
MIN_RESULTS = 100
MAX_BUCKETS = 10000
MAX_TOKEN = 256  # BlockToken and PageToken, API reference

_SNAPSHOT_ID = re.compile(r"^snap-[0-9a-f]+$")
_KEY_ID = re.compile(r"Credential=([^/,\s]+)/")
_FIRST = {name: re.compile(rf"<{name}>([^<]*)</{name}>".encode()) for name in
          ("volumeId", "size", "snapshotId", "volumeSize")}
_VOLUME_IDS = re.compile(rb"<volumeId>(vol-[0-9a-f]+)</volumeId>")
_AUTH_ERRORS = {
    "missing": ("MissingAuthenticationTokenException", "Missing Authentication Token"),
    "unknown-key": ("UnrecognizedClientException", "The security token included in the request is invalid."),
    "mismatch": ("InvalidSignatureException", "The request signature we calculated does not match the signature "
                 "you provided. Check your AWS Secret Access Key and signing method. Consult the service "
                 "documentation for details."),
}


class EbsError(Exception):
    """An EBS direct APIs error: code (x-amzn-ErrorType), message, Reason, and the code's HTTP status."""

    def __init__(self, code: str, message: str, reason: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.status = status or DEFAULT_STATUS.get(code, 400)

    def response(self) -> Response:
        return error_response("rest-json", self.code, self.message, self.status, "ebs", self.reason)


def _invalid(message: str, reason: str = "INVALID_PARAMETER_VALUE") -> EbsError:
    return EbsError("ValidationException", message, reason)


# ------------------------------------------------------------------- limits
class _Bucket:
    """A token bucket on the proxy clock: `rate` per second, at most `capacity` saved up, full at first."""

    def __init__(self, rate: float, capacity: float, now: float):
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.last = now

    def take(self, amount: float, now: float) -> bool:
        if now > self.last:
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens + 1e-9 < amount:
            return False
        self.tokens -= amount
        return True


class EbsLimits:
    """Calls per second per (account, action) and GetSnapshotBlock bytes per second per snapshot."""

    def __init__(self) -> None:
        self.calls: collections.OrderedDict[tuple[str, str], _Bucket] = collections.OrderedDict()
        self.bytes: collections.OrderedDict[str, _Bucket] = collections.OrderedDict()

    @staticmethod
    def _take(buckets: collections.OrderedDict, key: Any, rate: float, capacity: float, amount: float,
              now: float) -> bool:
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = _Bucket(rate, capacity, now)
            while len(buckets) > MAX_BUCKETS:
                buckets.popitem(last=False)
        return bucket.take(amount, now)

    def admit_call(self, account: str, action: str, rps: float, now: float) -> bool:
        return rps <= 0 or self._take(self.calls, (account, action), rps, max(rps, 1.0), 1, now)

    def admit_block(self, snapshot: str, mibps: float, now: float) -> bool:
        if mibps <= 0:
            return True
        rate = mibps * 1024 * 1024
        return self._take(self.bytes, snapshot, rate, max(rate, BLOCK_SIZE), BLOCK_SIZE, now)


# ------------------------------------------------------------------- caller
@dataclass
class Caller:
    key: str | None  # access key ID
    account: str  # the key's account (users file), else x-moto-account-id, else "default"


def _account_of(h: Handler, req: AwsRequest) -> tuple[str | None, str]:
    found = _KEY_ID.search(req.headers.get("authorization", ""))
    key = found.group(1) if found else None
    signer = h.server.signer
    if signer is not None and key in signer.accounts:
        return key, signer.accounts[key]
    return key, req.account_key


def _authenticate(h: Handler, req: AwsRequest) -> Caller:
    """The caller; with --credentials only once its signature checked out (AWS's 403 answers otherwise)."""
    key, account = _account_of(h, req)
    signer = h.server.signer
    if signer is not None:
        _, why = signer.verify(req)
        if why is not None:
            code, message = _AUTH_ERRORS[why]
            raise EbsError(code, message, status=403)
    return Caller(key, account)


# ----------------------------------------------------------------- serving
def serve(h: Handler, req: AwsRequest, entry: dict[str, Any]) -> Response:
    """The answer to one EBS direct API call (faults other than ``corrupt`` are the handler's)."""
    st = h.server.state
    try:
        caller = _authenticate(h, req)
        with st.lock:
            admitted = st.ebs_limits.admit_call(caller.account, req.action or "", st.ebs["rps"],
                                                st.book.clock.now())
        if not admitted:
            raise EbsError("RequestThrottledException", f"The number of {req.action} calls has exceeded the "
                           f"account's limit of {st.ebs['rps']:g} per second.", "ACCOUNT_THROTTLED")
        if req.action == "ListSnapshotBlocks":
            return _list_snapshot_blocks(h, req, caller)
        if req.action == "ListChangedBlocks":
            return _list_changed_blocks(h, req, caller)
        return _get_snapshot_block(h, req, caller, entry)
    except EbsError as exc:
        return exc.response()


def _json(obj: dict[str, Any]) -> Response:
    return 200, [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id())], json.dumps(obj).encode()


def _int_param(req: AwsRequest, name: str, reason: str = "INVALID_PARAMETER_VALUE") -> int | None:
    raw = req.param(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"{name} must be an integer, not {raw!r}.", reason) from None
    if value < 0:
        raise _invalid(f"{name} must be at least 0.", reason)
    return value


def _max_results(req: AwsRequest) -> int:
    value = _int_param(req, "MaxResults")
    if value is None:
        return MAX_RESULTS
    if value > MAX_RESULTS:
        raise _invalid(f"MaxResults must be at most {MAX_RESULTS}.")
    return max(value, MIN_RESULTS)


def _page_token(st: Any, action: str, second: str, first: str, index: int) -> str:
    text = f"{action}|{second}|{first}|{index}"
    return base64.b64encode(f"{text}|{st.blocks.mac(text)}".encode()).decode()


def _starting_index(st: Any, req: AwsRequest, second: str, first: str) -> int:
    """Where a page starts: NextToken when given (StartingBlockIndex is then ignored), else StartingBlockIndex."""
    token = req.param("NextToken")
    if token:
        if len(token) > MAX_TOKEN:
            raise _invalid("The pagination token is invalid.", "INVALID_PAGE_TOKEN")
        try:
            text = base64.b64decode(token, validate=True).decode()
            action, tsecond, tfirst, index, mac = text.split("|")
            valid = (action, tsecond, tfirst) == (req.action, second, first) and mac == st.blocks.mac(
                f"{action}|{tsecond}|{tfirst}|{index}")
            if valid:
                return int(index)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pass
        raise _invalid("The pagination token is invalid.", "INVALID_PAGE_TOKEN")
    return _int_param(req, "StartingBlockIndex") or 0


def _snapshot(h: Handler, req: AwsRequest, caller: Caller, sid: str | None, name: str) -> Snapshot:
    """The snapshot `sid` if the caller may read it now (completed, owned by it or shared with it)."""
    if not sid:
        raise _invalid(f"{name} is required.", "INVALID_SNAPSHOT_ID")
    if not _SNAPSHOT_ID.match(sid):
        raise _invalid(f"The snapshot ID '{sid}' is not valid.", "INVALID_SNAPSHOT_ID")
    st = h.server.state
    key = (caller.key, caller.account, req.region, sid)
    described: dict[str, str] | None = None
    said_no = False
    if not st.readable_get(key):
        answer = ask_ec2(h.server, req, [("Action", "DescribeSnapshots"), ("Version", "2016-11-15"),
                                         ("SnapshotId.1", sid)])
        if answer is not None and answer[0] == 200 and b"DescribeSnapshotsResponse" in answer[1][:200]:
            described = _described_snapshot(answer[1], sid)
            said_no = described is None
        elif answer is not None and b"<Code>InvalidSnapshot.NotFound</Code>" in answer[1]:
            said_no = True
    with st.lock:
        now = st.book.clock.now()
        snap = st.blocks.snapshots.get(sid)
        if described is not None:
            st.readable_put(key)
            if snap is None:
                size = _size(described.get("volumeSize"))
                snap = st.blocks.capture(sid, described.get("volumeId") or sid, size, described.get("ownerId")
                                         or caller.account, req.region, now)
        elif not said_no and not st.readable_get(key) and snap is not None and (
                snap.account != caller.account or snap.region not in (None, req.region)):
            snap = None  # moto could not be asked: the proxy's own record decides
        if said_no or snap is None:
            raise EbsError("ResourceNotFoundException", f"The snapshot '{sid}' does not exist.", "SNAPSHOT_NOT_FOUND")
        shown = st.book.expected_state(sid, now) or (described or {}).get("status")
    if shown in ("pending", "error"):
        raise _invalid(f"The snapshot '{sid}' is {shown}; only completed snapshots can be read.",
                       "INVALID_SNAPSHOT_ID")
    return snap


def _described_snapshot(body: bytes, sid: str) -> dict[str, str] | None:
    try:
        doc = Doc(body)
    except SyntaxError:
        return None
    for item in doc.items(doc.root, "snapshotSet"):
        if doc.text(item, "snapshotId") == sid:
            return {name: doc.text(item, name) or "" for name in ("volumeId", "volumeSize", "ownerId", "status")}
    return None


def _size(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _listing(st: Any, snap: Snapshot) -> dict[str, Any]:
    return {"BlockSize": BLOCK_SIZE, "VolumeSize": snap.size_gib,
            "ExpiryTime": round(st.book.clock.now() + EXPIRY_S, 3)}


def _list_snapshot_blocks(h: Handler, req: AwsRequest, caller: Caller) -> Response:
    st = h.server.state
    sid = req.param("SnapshotId") or ""
    limit = _max_results(req)
    start = _starting_index(st, req, sid, "")
    snap = _snapshot(h, req, caller, sid, "SnapshotId")
    indexes = snap.indexes
    at = bisect.bisect_left(indexes, start)
    page = indexes[at:at + limit]
    out = {"Blocks": [{"BlockIndex": i, "BlockToken": st.blocks.token(sid, i, snap.blocks[i])} for i in page],
           **_listing(st, snap)}
    if at + limit < len(indexes):
        out["NextToken"] = _page_token(st, "ListSnapshotBlocks", sid, "", indexes[at + limit])
    return _json(out)


def _list_changed_blocks(h: Handler, req: AwsRequest, caller: Caller) -> Response:
    st = h.server.state
    second_id = req.param("SecondSnapshotId") or ""
    first_id = req.param("FirstSnapshotId") or ""
    limit = _max_results(req)
    start = _starting_index(st, req, second_id, first_id)
    second = _snapshot(h, req, caller, second_id, "SecondSnapshotId")
    first = _snapshot(h, req, caller, first_id, "FirstSnapshotId") if first_id else None
    if first is not None and first.lineage != second.lineage:
        raise _invalid(f"The snapshots '{first_id}' and '{second_id}' are not of the same volume lineage.",
                       "UNRELATED_SNAPSHOTS")
    if first is None:
        changed = second.indexes
    else:
        changed = sorted(i for i in second.blocks.keys() | first.blocks.keys()
                         if second.blocks.get(i) != first.blocks.get(i))
    at = bisect.bisect_left(changed, start)
    entries = []
    for i in changed[at:at + limit]:
        entry: dict[str, Any] = {"BlockIndex": i}
        if first is not None and i in first.blocks:
            entry["FirstBlockToken"] = st.blocks.token(first_id, i, first.blocks[i])
        if i in second.blocks:
            entry["SecondBlockToken"] = st.blocks.token(second_id, i, second.blocks[i])
        entries.append(entry)
    out = {"ChangedBlocks": entries, **_listing(st, second)}
    if at + limit < len(changed):
        out["NextToken"] = _page_token(st, "ListChangedBlocks", second_id, first_id, changed[at + limit])
    return _json(out)


def _get_snapshot_block(h: Handler, req: AwsRequest, caller: Caller, entry: dict[str, Any]) -> Response:
    st = h.server.state
    sid = req.param("SnapshotId") or ""
    index = _int_param(req, "BlockIndex", "INVALID_BLOCK")
    token = req.param("BlockToken")
    if index is None:
        raise _invalid("BlockIndex is required.", "INVALID_BLOCK")
    if not token or len(token) > MAX_TOKEN:
        raise _invalid("BlockToken is required, at most 256 characters.", "INVALID_BLOCK_TOKEN")
    snap = _snapshot(h, req, caller, sid, "SnapshotId")
    if index >= snap.block_count:
        raise _invalid(f"The block index {index} is beyond the snapshot's {snap.block_count} blocks.", "INVALID_BLOCK")
    stamp = snap.blocks.get(index)
    if stamp is None or token != st.blocks.token(sid, index, stamp):
        raise _invalid(f"The block token is not valid for block {index} of snapshot '{sid}'.", "INVALID_BLOCK_TOKEN")
    with st.lock:
        mibps = st.ebs["mibps"]
        admitted = st.ebs_limits.admit_block(sid, mibps, st.book.clock.now())
    if not admitted:
        raise EbsError("RequestThrottledException", f"The reads of snapshot '{sid}' have exceeded its limit of "
                       f"{mibps:g} MiB/s.", "RESOURCE_LEVEL_THROTTLE")
    data, checksum = st.blocks.block_data(stamp, index)
    fault = st.pick_corrupt(req)
    if fault is not None:
        entry["fault"] = {"id": fault.id, "kind": fault.kind, "after": False}
        spoiled = bytearray(data)
        for at in (0, len(spoiled) // 2, len(spoiled) - 1):
            spoiled[at] ^= 0xFF
        data = bytes(spoiled)
    st.count_block(caller.account, sid, len(data))
    return 200, [("Content-Type", "application/octet-stream"), ("x-amz-Data-Length", str(len(data))),
                 ("x-amz-Checksum", checksum), ("x-amz-Checksum-Algorithm", "SHA256"),
                 ("x-amzn-RequestId", request_id())], data


# --------------------------------------------------------------- learning
def observe(h: Handler, req: AwsRequest, body: bytes) -> None:
    """Feeds the block store from moto's (200) answer to an EC2 call."""
    action = req.action or ""
    if action not in _OBSERVERS:
        return
    _, account = _account_of(h, req)
    _OBSERVERS[action](h, req, body, account)


def _first(body: bytes, name: str) -> str | None:
    found = _FIRST[name].search(body)
    return found.group(1).decode() if found and found.group(1) else None


def _on_run_instances(h: Handler, req: AwsRequest, body: bytes, account: str) -> None:
    st = h.server.state
    with st.lock:
        for vid in dict.fromkeys(m.decode() for m in _VOLUME_IDS.findall(body)):
            st.blocks.learn_volume(vid, account, req.region, origin=req)


def _on_create_volume(h: Handler, req: AwsRequest, body: bytes, account: str) -> None:
    vid, size, source = _first(body, "volumeId"), _size(_first(body, "size")), _first(body, "snapshotId")
    if vid is None:
        return
    st = h.server.state
    with st.lock:
        if source and size:
            st.blocks.restore_volume(vid, source, size, account, req.region)
        else:
            st.blocks.learn_volume(vid, account, req.region, size)


def _on_describe_volumes(h: Handler, req: AwsRequest, body: bytes, account: str) -> None:
    try:
        doc = Doc(body)
    except SyntaxError:
        return
    found = [(doc.text(item, "volumeId"), _size(doc.text(item, "size"))) for item in doc.items(doc.root, "volumeSet")]
    st = h.server.state
    with st.lock:
        for vid, size in found:
            if vid:
                st.blocks.learn_volume(vid, account, req.region, size)


def _on_create_snapshot(h: Handler, req: AwsRequest, body: bytes, account: str) -> None:
    sid, vid = _first(body, "snapshotId"), _first(body, "volumeId")
    if sid and vid:
        _capture(h, req, [(sid, vid, _size(_first(body, "volumeSize")))], account)


def _on_create_snapshots(h: Handler, req: AwsRequest, body: bytes, account: str) -> None:
    try:
        doc = Doc(body)
    except SyntaxError:
        return
    taken = [(doc.text(item, "snapshotId"), doc.text(item, "volumeId"), _size(doc.text(item, "volumeSize")))
             for item in doc.items(doc.root, "snapshotSet")]
    _capture(h, req, [(s, v, size) for s, v, size in taken if s and v], account)


def _capture(h: Handler, req: AwsRequest, taken: list[tuple[str, str, int | None]], account: str) -> None:
    st = h.server.state
    unsized = []
    with st.lock:
        for sid, vid, size in taken:
            vol = st.blocks.learn_volume(vid, account, req.region, size)
            if vol.size_gib is None:
                unsized.append(vid)
    for vid in unsized:  # a snapshot answer without its size (AWS always gives it): ask moto
        _learn_size(h, req, vid)
    with st.lock:
        now = st.book.clock.now()
        for sid, vid, size in taken:
            st.blocks.capture(sid, vid, size, account, req.region, now)


def _on_copy_snapshot(h: Handler, req: AwsRequest, body: bytes, account: str) -> None:
    sid, source = _first(body, "snapshotId"), req.param("SourceSnapshotId")
    if sid and source:
        st = h.server.state
        with st.lock:
            st.blocks.copy(sid, source, account, req.region, st.book.clock.now())


def _on_delete_snapshot(h: Handler, req: AwsRequest, body: bytes, account: str) -> None:
    st = h.server.state
    with st.lock:
        st.blocks.forget_snapshot(req.param("SnapshotId") or "")
    st.readable_clear()


def _on_delete_volume(h: Handler, req: AwsRequest, body: bytes, account: str) -> None:
    st = h.server.state
    with st.lock:
        st.blocks.forget_volume(req.param("VolumeId") or "")


def _on_sharing(h: Handler, req: AwsRequest, body: bytes, account: str) -> None:
    h.server.state.readable_clear()


_OBSERVERS = {
    "RunInstances": _on_run_instances,
    "CreateVolume": _on_create_volume,
    "DescribeVolumes": _on_describe_volumes,
    "CreateSnapshot": _on_create_snapshot,
    "CreateSnapshots": _on_create_snapshots,
    "CopySnapshot": _on_copy_snapshot,
    "DeleteSnapshot": _on_delete_snapshot,
    "DeleteVolume": _on_delete_volume,
    "ModifySnapshotAttribute": _on_sharing,
    "ResetSnapshotAttribute": _on_sharing,
}


def _learn_size(h: Handler, origin: AwsRequest, vid: str) -> int | None:
    """A volume's size, asked of moto with a DescribeVolumes as `origin`'s caller; recorded when found."""
    answer = ask_ec2(h.server, origin, [("Action", "DescribeVolumes"), ("Version", "2016-11-15"),
                                        ("VolumeId.1", vid)])
    if answer is None or answer[0] != 200:
        return None
    size = _size(_first(answer[1], "size"))
    if size:
        st = h.server.state
        with st.lock:
            vol = st.blocks.volumes.get(vid)
            if vol is not None:
                st.blocks.learn_volume(vid, vol.account, vol.region, size)
    return size


def control_volume(h: Handler, vid: str) -> Volume:
    """The volume a control call names, its size learnt from moto (as the caller that named it) if need be."""
    st = h.server.state
    with st.lock:
        vol = st.blocks.volume(vid)
        origin = vol.origin if vol.size_gib is None else None
    if origin is not None:
        _learn_size(h, origin, vid)
    if vol.size_gib is None:
        raise StoreError(f"the size of volume {vid} is unknown (moto could not be asked)", 409)
    return vol
