"""Response rewriting for the EC2 state progression.

Responses are edited with xml.etree: moto's default namespace
(``xmlns="http://ec2.amazonaws.com/doc/2016-11-15"``) is written back as a
default namespace with no prefix, which is what EC2 clients expect. A body
that cannot be parsed or serialised is relayed untouched.
"""

from __future__ import annotations

import fnmatch
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from .resources import INSTANCE_CODES, ResourceBook

# Describe actions whose output depends on the tracked state, with the
# filters the proxy must then evaluate itself.
STATE_FILTERS = {
    "DescribeInstances": ("instance", {"instance-state-name", "instance-state-code"}),
    "DescribeInstanceStatus": ("instance", {"instance-state-name", "instance-state-code"}),
    "DescribeSnapshots": ("snapshot", {"status"}),
    "DescribeVolumes": ("volume", {"status"}),
}

_ID_PATTERNS = {
    "DescribeInstances": re.compile(rb"<instanceId>(i-[0-9a-f]+)</instanceId>"),
    "DescribeInstanceStatus": re.compile(rb"<instanceId>(i-[0-9a-f]+)</instanceId>"),
    "DescribeSnapshots": re.compile(rb"<snapshotId>(snap-[0-9a-f]+)</snapshotId>"),
    "DescribeVolumes": re.compile(rb"<volumeId>(vol-[0-9a-f]+)</volumeId>"),
}


@dataclass
class CopyDetails:
    """The copy a CopySnapshot made, as moto describes it: its size, its state and that state's message."""

    size_gib: float
    state: str
    message: str | None = None


@dataclass
class Context:
    book: ResourceBook
    now: float
    account: str
    region: str | None
    action: str
    local_filters: dict[str, list[str]] = field(default_factory=dict)
    include_all: bool = False  # DescribeInstanceStatus IncludeAllInstances
    replay: bool = False  # idempotent replay: no new phases
    copy: CopyDetails | None = None  # what moto says of the copy a CopySnapshot answer names


class Doc:
    def __init__(self, body: bytes):
        self.root = ET.fromstring(body)
        tag = self.root.tag
        self.ns = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}" if self.ns else name

    def find(self, el, *path: str):
        for name in path:
            if el is None:
                return None
            el = el.find(self.q(name))
        return el

    def text(self, el, *path: str) -> str | None:
        found = self.find(el, *path)
        return found.text if found is not None else None

    def items(self, el, *path: str) -> list:
        container = self.find(el, *path)
        return list(container.findall(self.q("item"))) if container is not None else []

    def set(self, el, name: str, value: str) -> None:
        child = el.find(self.q(name))
        if child is None:
            child = ET.SubElement(el, self.q(name))
        child.text = value

    def dump(self) -> bytes:
        if self.ns:
            text = ET.tostring(self.root, encoding="unicode", default_namespace=self.ns)
        else:
            text = ET.tostring(self.root, encoding="unicode")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()


def _match(values: list[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, v) for v in values)


# ----------------------------------------------------------------- describes
def _instance_state(doc: Doc, item, ctx: Context) -> tuple[str | None, bool]:
    """Rewrite one instance's <instanceState>; returns (state, changed)."""
    iid = doc.text(item, "instanceId")
    st = doc.find(item, "instanceState")
    name = doc.text(st, "name")
    if not iid or st is None:
        return name, False
    if iid not in ctx.book.watch:
        return name, False
    v = ctx.book.visible(iid, name, ctx.now)
    if v is None or v[0] == name:
        return name, False
    doc.set(st, "code", str(INSTANCE_CODES.get(v[0], 0)))
    doc.set(st, "name", v[0])
    return v[0], True


def _instance_filter_ok(state: str | None, ctx: Context) -> bool:
    for fname, values in ctx.local_filters.items():
        if fname == "instance-state-name" and not _match(values, state or ""):
            return False
        if fname == "instance-state-code" and not _match(values, str(INSTANCE_CODES.get(state or "", -1))):
            return False
    return True


def describe_instances(doc: Doc, ctx: Context) -> bool:
    changed = False
    rset = doc.find(doc.root, "reservationSet")
    for res in doc.items(doc.root, "reservationSet"):
        iset = doc.find(res, "instancesSet")
        for inst in doc.items(res, "instancesSet"):
            state, ch = _instance_state(doc, inst, ctx)
            changed |= ch
            if ctx.local_filters and not _instance_filter_ok(state, ctx):
                iset.remove(inst)
                changed = True
        if ctx.local_filters and iset is not None and len(iset) == 0:
            rset.remove(res)
            changed = True
    return changed


def describe_instance_status(doc: Doc, ctx: Context) -> bool:
    changed = False
    sset = doc.find(doc.root, "instanceStatusSet")
    for item in doc.items(doc.root, "instanceStatusSet"):
        state, ch = _instance_state(doc, item, ctx)
        if ch:
            changed = True
            for summary in ("instanceStatus", "systemStatus"):
                el = doc.find(item, summary)
                if el is not None:
                    details = el.find(doc.q("details"))
                    if details is not None:
                        el.remove(details)
                    doc.set(el, "status", "initializing" if state == "pending" else "not-applicable")
        drop = ctx.local_filters and not _instance_filter_ok(state, ctx)
        # Without IncludeAllInstances AWS lists running instances only.
        if not ctx.include_all and ch and state != "running":
            drop = True
        if drop:
            sset.remove(item)
            changed = True
    return changed


def _snapshot_item(doc: Doc, item, ctx: Context, state_tag: str) -> tuple[str | None, bool]:
    sid = doc.text(item, "snapshotId")
    status = doc.text(item, state_tag)
    if not sid or sid not in ctx.book.watch:
        return status, False
    v = ctx.book.visible(sid, status, ctx.now)
    if v is None:
        return status, False
    state, progress, phase = v
    if state == status:
        return status, False
    doc.set(item, state_tag, state)
    if state == "pending":
        doc.set(item, "progress", f"{progress}%")
        message = item.find(doc.q("statusMessage"))
        if message is not None:  # a copy moto failed at once says why only when it is shown failed
            item.remove(message)
    if state == "error":
        doc.set(item, "statusMessage", phase.error_message or "")
    return state, True


def describe_snapshots(doc: Doc, ctx: Context) -> bool:
    changed = False
    sset = doc.find(doc.root, "snapshotSet")
    for item in doc.items(doc.root, "snapshotSet"):
        state, ch = _snapshot_item(doc, item, ctx, "status")
        changed |= ch
        values = ctx.local_filters.get("status")
        if values is not None and not _match(values, state or ""):
            sset.remove(item)
            changed = True
    return changed


def _volume_item(doc: Doc, item, ctx: Context) -> tuple[str | None, bool]:
    vid = doc.text(item, "volumeId")
    status = doc.text(item, "status")
    if not vid or vid not in ctx.book.watch:
        return status, False
    v = ctx.book.visible(vid, status, ctx.now)
    if v is None or v[0] == status:
        return status, False
    doc.set(item, "status", v[0])
    return v[0], True


def describe_volumes(doc: Doc, ctx: Context) -> bool:
    changed = False
    vset = doc.find(doc.root, "volumeSet")
    for item in doc.items(doc.root, "volumeSet"):
        state, ch = _volume_item(doc, item, ctx)
        changed |= ch
        values = ctx.local_filters.get("status")
        if values is not None and not _match(values, state or ""):
            vset.remove(item)
            changed = True
    return changed


# -------------------------------------------------------- creating responses
def _start(ctx: Context, kind: str, rid: str, transient: str, final: str, timing: str, **options):
    if ctx.replay:
        return
    ctx.book.start_phase(kind, rid, ctx.account, ctx.region, ctx.action, transient, final, timing, ctx.now,
                         **options)


def _state_change(doc: Doc, ctx: Context, moving_from: set[str], transient: str, final: str,
                  timing: str) -> bool:
    """Stop/StartInstances: open phases and fix no-op transitions."""
    changed = False
    for item in doc.items(doc.root, "instancesSet"):
        iid = doc.text(item, "instanceId")
        prev = doc.find(item, "previousState")
        cur = doc.find(item, "currentState")
        if not iid or prev is None or cur is None:
            continue
        prev_name = doc.text(prev, "name")
        shown_prev = prev_name
        phase = ctx.book.phase_of(iid)
        if phase is not None and prev_name == phase.final and not phase.is_final(ctx.now):
            shown_prev = phase.transient
        if shown_prev != prev_name:
            doc.set(prev, "name", shown_prev)
            doc.set(prev, "code", str(INSTANCE_CODES.get(shown_prev, 0)))
            changed = True
        if shown_prev in moving_from:
            _start(ctx, "instance", iid, transient, final, timing)
            shown_cur = transient
        elif shown_prev == transient:
            shown_cur = transient  # already on its way
        elif shown_prev == final:
            shown_cur = final  # AWS reports stopped -> stopped, not stopping
        else:
            continue
        if doc.text(cur, "name") != shown_cur:
            doc.set(cur, "name", shown_cur)
            doc.set(cur, "code", str(INSTANCE_CODES.get(shown_cur, 0)))
            changed = True
    return changed


def stop_instances(doc: Doc, ctx: Context) -> bool:
    return _state_change(doc, ctx, {"running", "pending"}, "stopping", "stopped", "stop")


def start_instances(doc: Doc, ctx: Context) -> bool:
    return _state_change(doc, ctx, {"stopped", "stopping"}, "pending", "running", "start")


def _visible_now(ctx: Context, rid: str) -> tuple[str, int] | None:
    phase = ctx.book.phase_of(rid)
    return phase.visible(ctx.now) if phase else None


def create_snapshot(doc: Doc, ctx: Context) -> bool:
    sid = doc.text(doc.root, "snapshotId")
    if not sid:
        return False
    _start(ctx, "snapshot", sid, "pending", "completed", "snapshot")
    v = _visible_now(ctx, sid)
    if v is None:
        return False
    doc.set(doc.root, "status", v[0])
    doc.set(doc.root, "progress", f"{v[1]}%")
    return True


def create_snapshots(doc: Doc, ctx: Context) -> bool:
    changed = False
    for item in doc.items(doc.root, "snapshotSet"):
        sid = doc.text(item, "snapshotId")
        if not sid:
            continue
        _start(ctx, "snapshot", sid, "pending", "completed", "snapshot")
        v = _visible_now(ctx, sid)
        # moto leaves State out of CreateSnapshots; AWS sends it.
        doc.set(item, "state", v[0] if v else "completed")
        if v:
            doc.set(item, "progress", f"{v[1]}%")
        changed = True
    return changed


def copy_snapshot(doc: Doc, ctx: Context) -> bool:
    """A copy is pending for ``copy`` + ``copy_per_gib`` x its size, then what moto says it is (``completed``, or
    ``error`` with moto's message when the caller may not use the snapshot's key), or ``error`` if one was armed."""
    sid = doc.text(doc.root, "snapshotId")
    if sid:
        details = ctx.copy
        final = details.state if details is not None and details.state in ("completed", "error") else "completed"
        _start(ctx, "snapshot", sid, "pending", final, "copy",
               duration=ctx.book.copy_seconds(details.size_gib if details is not None else 0.0), error_kind="copy",
               upstream_error=(details.message or "") if details is not None and final == "error" else None)
    return False


def create_volume(doc: Doc, ctx: Context) -> bool:
    vid = doc.text(doc.root, "volumeId")
    if not vid:
        return False
    if doc.text(doc.root, "status") == "creating":
        # moto (scripts/moto-server) answers `creating` only for a volume whose KMS key the caller may not use, and
        # has dropped it already, as AWS deletes such a volume: the timeline shows it creating, then deleted.
        _start(ctx, "volume", vid, "creating", "deleted", "volume",
               upstream_error="The volume was deleted: its KMS key is not usable by this account.")
        return False
    _start(ctx, "volume", vid, "creating", "available", "volume")
    v = _visible_now(ctx, vid)
    status = doc.text(doc.root, "status")
    if v is None or status != "available" or v[0] == status:
        return False
    doc.set(doc.root, "status", v[0])
    return True


DESCRIBE = {
    "DescribeInstances": describe_instances,
    "DescribeInstanceStatus": describe_instance_status,
    "DescribeSnapshots": describe_snapshots,
    "DescribeVolumes": describe_volumes,
}

CREATE = {
    "StopInstances": stop_instances,
    "StartInstances": start_instances,
    "CreateSnapshot": create_snapshot,
    "CreateSnapshots": create_snapshots,
    "CopySnapshot": copy_snapshot,
    "CreateVolume": create_volume,
}


def needs_describe_pass(action: str, body: bytes, ctx: Context) -> bool:
    if ctx.local_filters:
        return True
    if action == "DescribeInstanceStatus" and not ctx.book.watch:
        return False
    pat = _ID_PATTERNS.get(action)
    if pat is None or not ctx.book.watch:
        return False
    watch = ctx.book.watch
    return any(m.decode() in watch for m in pat.findall(body))


def rewrite(action: str, body: bytes, ctx: Context) -> bytes | None:
    """New body, or None when the response is relayed as it is."""
    fn = DESCRIBE.get(action)
    if fn is not None:
        if not needs_describe_pass(action, body, ctx):
            return None
    else:
        fn = CREATE.get(action)
        if fn is None:
            return None
    try:
        doc = Doc(body)
    except ET.ParseError:
        return None
    if not fn(doc, ctx):
        return None
    try:
        return doc.dump()
    except (ValueError, TypeError):
        return None
