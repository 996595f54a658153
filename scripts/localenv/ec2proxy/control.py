"""The JSON control API under /__proxy/ (see the package docstring)."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.parse
from typing import Any

from . import ebsdirect
from .blockstore import BLOCK_SIZE, MAX_CATCH_UP, StoreError
from .faults import FaultSpecError

_CONTENT_PATH = re.compile(r"^/__proxy/(volumes|snapshots)/([^/]+)/(write|dirty|blocks|sha256)$")


class BadRequest(ValueError):
    pass


def _json_body(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"body is not JSON: {exc}") from None


def _int(qs: dict[str, list[str]], name: str) -> int | None:
    if name not in qs:
        return None
    try:
        return int(qs[name][-1])
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None


def _one(qs: dict[str, list[str]], name: str) -> str | None:
    return qs[name][-1] if name in qs else None


def _upstream_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _settings(method: str, body: bytes, name: str, get, update) -> tuple[int, Any]:
    """GET the settings `name`, or POST a partial update of them (a JSON object; bad values are 400s)."""
    if method == "GET":
        return 200, get()
    spec = _json_body(body)
    if not isinstance(spec, dict):
        raise BadRequest(f"{name} must be a JSON object")
    try:
        return 200, update(spec)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def handle(h, body: bytes) -> None:
    try:
        status, obj = _route(h, body)
    except BadRequest as exc:
        status, obj = 400, {"error": str(exc)}
    except FaultSpecError as exc:
        status, obj = 400, {"error": str(exc)}
    except StoreError as exc:
        status, obj = exc.status, {"error": str(exc)}
    h.send_json(status, obj)


def _route(h, body: bytes) -> tuple[int, Any]:
    srv = h.server
    st = srv.state
    method = h.command
    parts = urllib.parse.urlsplit(h.path)
    path = parts.path.rstrip("/")
    qs = urllib.parse.parse_qs(parts.query)
    now = time.time()

    if path == "/__proxy/healthz" and method == "GET":
        return 200, {
            "ok": True,
            "upstream": srv.upstream_url,
            "upstream_reachable": _upstream_reachable(srv.upstream_host, srv.upstream_port),
            "uptime_s": round(now - st.started_at, 3),
            "port": srv.server_address[1],
        }
    if path == "/__proxy/calls" and method == "GET":
        return 200, st.calls_json(_one(qs, "account"), _one(qs, "action"))
    if path == "/__proxy/calls/reset" and method == "POST":
        st.reset_calls()
        return 200, {"ok": True}
    if path == "/__proxy/log" and method == "GET":
        return 200, {"entries": st.log_json(_int(qs, "limit"), _one(qs, "action"), _int(qs, "since"))}
    if path == "/__proxy/faults":
        if method == "GET":
            return 200, {"faults": st.faults_json()}
        if method == "POST":
            spec = _json_body(body)
            specs = spec if isinstance(spec, list) else [spec]
            armed = [st.arm(s).describe() for s in specs]
            return 201, {"faults": armed}
        if method == "DELETE":
            return 200, {"removed": st.disarm()}
    if path.startswith("/__proxy/faults/") and method == "DELETE":
        try:
            fid = int(path.rsplit("/", 1)[1])
        except ValueError:
            raise BadRequest("fault id must be an integer") from None
        removed = st.disarm(fid)
        return (200 if removed else 404), {"removed": removed}
    if path == "/__proxy/timings" and method in ("GET", "POST"):
        return _settings(method, body, "timings", st.timings_json, st.set_timings)
    if path == "/__proxy/errors-next":
        if method == "GET":
            with st.lock:
                return 200, st.book.errors_json()
        if method == "DELETE":
            with st.lock:
                for q in st.book.pending_errors.values():
                    q.clear()
                return 200, st.book.errors_json()
        if method == "POST":
            spec = _json_body(body)
            if not isinstance(spec, dict):
                raise BadRequest("errors-next takes a JSON object")
            arms: list[tuple[str, int, str | None]] = []
            if "kind" in spec:
                arms.append((spec["kind"], spec.get("count", 1), spec.get("message")))
            else:
                for k, v in spec.items():
                    if k == "message":
                        continue
                    arms.append((k, v, spec.get("message")))
            for kind, count, _ in arms:
                if kind not in ("snapshot", "volume", "copy"):
                    raise BadRequest("kind must be 'snapshot', 'volume' or 'copy'")
                if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                    raise BadRequest("count must be a non-negative integer")
            with st.lock:
                for kind, count, message in arms:
                    st.book.arm_error(kind, count, message)
                return 200, st.book.errors_json()
    if path == "/__proxy/resources" and method == "GET":
        with st.lock:
            state_now = st.book.clock.now()
            items = st.book.timeline(state_now, _one(qs, "kind"), _one(qs, "id"), _one(qs, "account"))
        return 200, {"now": state_now, "resources": items}
    if path == "/__proxy/clock":
        if method == "POST":
            spec = _json_body(body)
            if not isinstance(spec, dict):
                raise BadRequest("clock takes a JSON object")
            with st.lock:
                try:
                    st.book.clock.update(spec)
                except ValueError as exc:
                    raise BadRequest(str(exc)) from None
        if method in ("GET", "POST"):
            with st.lock:
                return 200, st.book.clock.to_json()
    if path == "/__proxy/ebs" and method in ("GET", "POST"):
        return _settings(method, body, "ebs", st.ebs_json, st.set_ebs)
    content = _CONTENT_PATH.match(path)
    if content is not None:
        kind, rid, what = content.groups()
        if kind == "volumes":
            return _volume_call(h, rid, what, method, body)
        return _snapshot_call(h, rid, what, method)
    if path == "/__proxy/reset" and method == "POST":
        st.reset_all()
        return 200, {"ok": True, "timings": st.timings_json()}
    return 404, {"error": f"no control endpoint {method} {parts.path}"}


# ------------------------------------------------------------------ content
def _volume_call(h, vid: str, what: str, method: str, body: bytes) -> tuple[int, Any]:
    """write, dirty, blocks and sha256 of one volume."""
    st = h.server.state
    allowed = {"write": ("POST",), "dirty": ("GET", "POST"), "blocks": ("GET",), "sha256": ("GET",)}[what]
    if method not in allowed:
        return 405, {"error": f"{what} takes {' or '.join(allowed)}"}
    vol = ebsdirect.control_volume(h, vid)
    spec = _json_body(body) if method == "POST" else {}
    if not isinstance(spec, dict):
        raise BadRequest(f"{what} takes a JSON object")
    if what == "write":
        blocks = spec.get("blocks")
        if not isinstance(blocks, list) or len(blocks) > MAX_CATCH_UP:
            raise BadRequest(f'write takes {{"blocks": [index, ...]}} with at most {MAX_CATCH_UP} indexes')
        with st.lock:
            st.blocks.write(vol, blocks, st.book.clock.now())
            return 200, {"volume": vid, "written": len(blocks), "allocated": len(vol.blocks or {}),
                         "writes": vol.writes}
    if what == "dirty":
        with st.lock:
            if method == "POST":
                if set(spec) != {"blocks_per_second"}:
                    raise BadRequest('dirty takes {"blocks_per_second": r} (0 stops the writer)')
                st.blocks.set_dirty(vol, spec["blocks_per_second"], st.book.clock.now())
            else:
                st.blocks.catch_up(vol, st.book.clock.now())
            return 200, {"volume": vid, **_dirty_json(vol)}
    with st.lock:
        blocks = st.blocks.view(vol, st.book.clock.now())
        version = vol.version
        cached = vol.hashed[1] if vol.hashed and vol.hashed[0] == version and vol.blocks is blocks else None
        if what == "blocks":
            return 200, {"volume": vid, "account": vol.account, "region": vol.region, "size_gib": vol.size_gib,
                         "block_size": BLOCK_SIZE, "block_count": vol.block_count, "lineage": vol.lineage,
                         "allocated": len(blocks), "writes": vol.writes, **_dirty_json(vol),
                         "blocks": st.blocks.blocks_json(blocks, vid)}
    digest = cached or st.blocks.image_sha256(vol.size_gib, blocks)
    with st.lock:
        if vol.blocks is blocks and vol.version == version:
            vol.hashed = (version, digest)
    return 200, {"volume": vid, "size_gib": vol.size_gib, "bytes": vol.size_gib << 30, "sha256": digest}


def _dirty_json(vol) -> dict[str, Any]:
    w = vol.writer
    return {"dirty": None if w is None else {"blocks_per_second": w.rate, "applied": w.applied,
                                             "dropped": w.dropped}}


def _snapshot_call(h, sid: str, what: str, method: str) -> tuple[int, Any]:
    """blocks and sha256 of one snapshot the proxy saw taken (or read through the EBS direct APIs)."""
    st = h.server.state
    if what not in ("blocks", "sha256") or method != "GET":
        return 405, {"error": "snapshots have GET blocks and GET sha256"}
    with st.lock:
        snap = st.blocks.snapshots.get(sid)
        if snap is None:
            return 404, {"error": f"the proxy has no content for snapshot {sid} (it saw it neither taken nor read)"}
        if what == "blocks":
            return 200, {"snapshot": sid, "volume": snap.volume_id, "account": snap.account, "region": snap.region,
                         "lineage": snap.lineage, "size_gib": snap.size_gib, "block_size": BLOCK_SIZE,
                         "block_count": snap.block_count, "allocated": len(snap.blocks),
                         "blocks": st.blocks.blocks_json(snap.blocks, snap.volume_id)}
        digest = snap.sha256
    if digest is None:
        digest = st.blocks.image_sha256(snap.size_gib, snap.blocks)
        with st.lock:
            snap.sha256 = digest
    return 200, {"snapshot": sid, "size_gib": snap.size_gib, "bytes": snap.size_gib << 30, "sha256": digest}
