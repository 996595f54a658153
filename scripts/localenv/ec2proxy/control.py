"""The JSON control API under /__proxy/ (see the package docstring)."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
from typing import Any

from .faults import FaultSpecError


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


def handle(h, body: bytes) -> None:
    try:
        status, obj = _route(h, body)
    except BadRequest as exc:
        status, obj = 400, {"error": str(exc)}
    except FaultSpecError as exc:
        status, obj = 400, {"error": str(exc)}
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
    if path == "/__proxy/timings":
        if method == "GET":
            return 200, st.timings_json()
        if method == "POST":
            spec = _json_body(body)
            if not isinstance(spec, dict):
                raise BadRequest("timings must be a JSON object")
            try:
                return 200, st.set_timings(spec)
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
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
    if path == "/__proxy/reset" and method == "POST":
        st.reset_all()
        return 200, {"ok": True, "timings": st.timings_json()}
    return 404, {"error": f"no control endpoint {method} {parts.path}"}
