"""The HTTP side of the proxy: keep-alive towards clients, one upstream
connection per request towards moto (moto closes every connection)."""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import ssl
import struct
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tlsserve import HandshakeInThread

from . import control, ebsdirect
from .awsreq import AwsRequest, parse_request
from .faults import error_response, html_body
from .rewrite import CREATE, DESCRIBE, STATE_FILTERS, Context, CopyDetails, Doc, rewrite
from .state import ProxyState
from .upstream import ask_ec2

if TYPE_CHECKING:  # botocore is needed only with --credentials
    from .signing import Signer

Response = tuple[int, list[tuple[str, str]], bytes]

_COPY_ID = re.compile(rb"<snapshotId>(snap-[0-9a-f]+)</snapshotId>")

_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade", "expect", "content-length",
}


class ProxyServer(HandshakeInThread, ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 256  # benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], state: ProxyState, upstream: str,
                 upstream_timeout: float = 60.0, verbose: bool = False, signer: Signer | None = None,
                 ssl_context: ssl.SSLContext | None = None):
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"--upstream must be an http:// URL, got {upstream!r}")
        self.upstream_url = upstream.rstrip("/")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.upstream_timeout = upstream_timeout
        self.state = state
        self.verbose = verbose
        self.signer = signer
        self.ssl_context = ssl_context
        super().__init__(address, Handler)

    def handle_error(self, request, client_address) -> None:  # never a traceback
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        print(f"ec2-proxy: error serving {client_address}: {exc!r}", file=sys.stderr)


def enforce_error(book, req: AwsRequest, now: float) -> tuple[str, str] | None:
    """AWS state checks moto does not make (only with enforce on)."""
    a = req.action
    if a in ("StartInstances", "StopInstances"):
        for k, v in req.params:
            if not k.startswith("InstanceId."):
                continue
            shown = book.expected_state(v, now)
            if a == "StartInstances" and shown == "stopping":
                return ("IncorrectInstanceState",
                        f"The instance '{v}' is not in a state from which it can be started.")
            if a == "StopInstances" and shown == "pending":
                return ("IncorrectInstanceState",
                        f"The instance '{v}' is not in a state from which it can be stopped.")
    elif a == "AttachVolume":
        vid = req.param("VolumeId")
        shown = book.expected_state(vid, now) if vid else None
        if shown in ("creating", "error"):
            return ("IncorrectState", f"{vid} is not 'available'.")
    elif a == "CreateVolume":
        sid = req.param("SnapshotId")
        shown = book.expected_state(sid, now) if sid else None
        if shown in ("pending", "error"):
            return ("IncorrectState", f"Snapshot is in invalid state - {shown}")
    elif a == "CreateSnapshot":
        vid = req.param("VolumeId")
        shown = book.expected_state(vid, now) if vid else None
        if shown in ("creating", "error"):
            return ("IncorrectState", f"The volume '{vid}' is not in a valid state for this operation.")
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ec2-proxy"
    timeout = 300  # idle keep-alive connections are dropped after this
    server: ProxyServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:
            sys.stderr.write("ec2-proxy: " + (format % args) + "\n")

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def handle(self) -> None:
        fault = self.server.state.pick_connect_fault()
        if fault is not None:
            self._entry = None
            self.server.state.record_connect_reset(fault)
            self._abort(fault.mode == "rst")
            return
        try:
            super().handle()
        except (ConnectionError, TimeoutError):
            pass

    # --------------------------------------------------------------- helpers
    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_json(self, status: int, obj: Any) -> None:
        body = (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode()
        self._send((status, [("Content-Type", "application/json")], body))

    def _settle(self, status: int) -> None:
        """Record the call (once) before the client sees any answer, so a
        control query right after a call always finds it."""
        entry = getattr(self, "_entry", None)
        if entry is None:
            return
        self._entry = None
        entry["status"] = status
        entry["ms"] = round((time.monotonic() - self._t0) * 1000, 3)
        self.server.state.record(entry)

    def _send(self, resp: Response) -> None:
        status, headers, body = resp
        self._settle(status)
        self.send_response_only(status)
        names = {k.lower() for k, _ in headers}
        if "date" not in names:
            self.send_header("Date", self.date_time_string())
        if "server" not in names:
            self.send_header("Server", "AmazonEC2")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        self._write_head_and_body(body if self.command != "HEAD" else b"")

    def _write_head_and_body(self, body: bytes) -> None:
        """Headers and body in one write: two small writes on a keep-alive
        connection meet Nagle + delayed ACK and cost ~40 ms per answer."""
        self._headers_buffer.append(b"\r\n")
        data = b"".join(self._headers_buffer) + body
        self._headers_buffer = []
        self.wfile.write(data)
        self.wfile.flush()

    def _abort(self, rst: bool) -> None:
        """Drop the client connection: RST (linger 0) or a plain close."""
        self._settle(0)
        sock = self.connection
        try:
            if rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.wfile.flush()
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        for f in (self.rfile, self.wfile):
            try:
                f.close()
            except (OSError, ValueError):
                pass
        try:
            sock.close()
        except OSError:
            pass
        self.rfile, self.wfile = io.BytesIO(), io.BytesIO()
        self.close_connection = True

    def _truncate(self, resp: Response, rst: bool) -> None:
        status, headers, body = resp
        self._settle(status)
        self.send_response_only(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body[: max(1, len(body) // 2)])
            self.wfile.flush()
        except OSError:
            pass
        self._abort(rst)

    def _forward(self, req: AwsRequest, authorization: str | None = None) -> Response:
        srv = self.server
        conn = http.client.HTTPConnection(srv.upstream_host, srv.upstream_port, timeout=srv.upstream_timeout)
        try:
            conn.putrequest(req.method, req.path_with_query, skip_host=True, skip_accept_encoding=True)
            has_host = False
            for k, v in self.headers.items():
                lk = k.lower()
                if lk in _HOP_BY_HOP:
                    continue
                has_host |= lk == "host"
                if lk == "authorization" and authorization is not None:
                    v = authorization
                conn.putheader(k, v)
            if not has_host:
                conn.putheader("Host", f"{srv.upstream_host}:{srv.upstream_port}")
            if req.body or req.method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(req.body)))
            conn.endheaders(req.body or None)
            r = conn.getresponse()
            data = r.read()
            headers = [(k, v) for k, v in r.getheaders() if k.lower() not in _HOP_BY_HOP]
            return r.status, headers, data
        finally:
            conn.close()

    def _fault_response(self, fault, req: AwsRequest) -> Response:
        if fault.kind == "html":
            body = fault.body.encode() if isinstance(fault.body, str) else html_body(fault.status)
            return fault.status, [("Content-Type", fault.content_type)], body
        return error_response(req.error_style, fault.code, fault.message, fault.status, req.service, fault.reason)

    # -------------------------------------------------------------- dispatch
    def _dispatch(self) -> None:
        started = time.time()
        self._t0 = time.monotonic()
        self._entry = None
        body = self._read_body()
        if self.path == "/__proxy" or self.path.startswith("/__proxy/"):
            control.handle(self, body)
            return
        hdrs = {k.lower(): v for k, v in self.headers.items()}
        req = parse_request(self.command, self.path, hdrs, body)
        st = self.server.state
        st.count(req)
        if req.action and req.mutating:
            ids = req.resource_ids()
            if ids:
                with st.lock:
                    st.book.note_mutation(ids, req.key, started)
        entry: dict[str, Any] = {
            "ts": started,
            "action": req.key,
            "service": req.service,
            "account": req.account,
            "region": req.region,
            "method": req.method,
            "path": req.path,
            "params": req.interesting_params(),
            "fault": None,
        }
        filters = req.filters()
        if filters:
            entry["filters"] = [name for name, _ in filters]
        self._entry = entry
        try:
            self._serve(req, entry)
        finally:
            self._settle(0)  # only if nothing was sent (client gone)

    def _serve(self, req: AwsRequest, entry: dict[str, Any]) -> int:
        st = self.server.state
        latency, fault = st.pick_faults(req)
        if latency is not None:
            entry["latency_ms"] = round(latency.seconds * 1000, 3)
            time.sleep(latency.seconds)
        if fault is not None:
            entry["fault"] = {"id": fault.id, "kind": fault.kind, "after": fault.after}
            if fault.kind == "error":
                entry["fault"]["code"] = fault.code
        if fault is not None and not fault.after and fault.kind != "truncate":
            if fault.kind == "reset":
                self._abort(fault.mode == "rst")
                return 0
            resp = self._fault_response(fault, req)
            self._send(resp)
            return resp[0]

        with st.lock:
            err = enforce_error(st.book, req, st.book.clock.now()) if st.book.enforce else None
        if err is not None:
            resp = error_response(req.error_style, err[0], err[1], 400, req.service)
            self._send(resp)
            return 400

        resp = ebsdirect.serve(self, req, entry) if req.ebs_direct else self._upstream(req)

        if fault is not None and (fault.after or fault.kind == "truncate"):
            if fault.kind == "reset":
                self._abort(fault.mode == "rst")
                return 0
            if fault.kind == "truncate":
                self._truncate(resp, fault.mode == "rst")
                return resp[0]
            resp = self._fault_response(fault, req)
        self._send(resp)
        return resp[0]

    def _upstream(self, req: AwsRequest) -> Response:
        """Forward (or replay an idempotent call) and apply the state rewrites."""
        st = self.server.state
        idem = st.idem_entry(req)
        if idem is None:
            return self._forward_and_rewrite(req)
        entry, fp = idem
        with entry.lock:
            if entry.response is not None:
                if entry.fingerprint != fp:
                    return error_response(
                        req.error_style, "IdempotentParameterMismatch",
                        "The client token you have provided is associated with a resource that "
                        "has different parameters.", 400, req.service)
                status, headers, body = entry.response
                with st.lock:
                    ctx = self._context(req, {}, replay=True)
                    new = rewrite(req.action, body, ctx) if req.action in CREATE else None
                return status, headers, new if new is not None else body
            entry.fingerprint = fp
            resp = self._forward_and_rewrite(req, raw_sink=entry)
            return resp

    def _copy_details(self, req: AwsRequest, body: bytes) -> CopyDetails | None:
        """What moto says of the copy a CopySnapshot answer names (its size sets the copy's duration, its state
        whether it fails), asked with a DescribeSnapshots of the caller's own (upstream.ask_ec2). None when the
        question cannot be asked."""
        found = _COPY_ID.search(body)
        if found is None or not req.form_body:
            return None
        answer = ask_ec2(self.server, req, [("Action", "DescribeSnapshots"),
                                            ("Version", req.param("Version") or "2016-11-15"),
                                            ("SnapshotId.1", found.group(1).decode())])
        if answer is None or answer[0] != 200:
            return None
        try:
            doc = Doc(answer[1])
        except SyntaxError:  # xml.etree's ParseError
            return None
        for item in doc.items(doc.root, "snapshotSet"):
            try:
                size = float(doc.text(item, "volumeSize") or 0)
            except ValueError:
                size = 0.0
            return CopyDetails(size, doc.text(item, "status") or "completed", doc.text(item, "statusMessage"))
        return None

    def _context(self, req: AwsRequest, local: dict[str, list[str]], replay: bool = False) -> Context:
        return Context(
            book=self.server.state.book,
            now=self.server.state.book.clock.now(),
            account=req.account_key,
            region=req.region,
            action=req.action or "",
            local_filters=local,
            include_all=(req.param("IncludeAllInstances") or "").lower() == "true",
            replay=replay,
        )

    def _forward_and_rewrite(self, req: AwsRequest, raw_sink=None) -> Response:
        st = self.server.state
        fwd = req
        local: dict[str, list[str]] = {}
        spec = STATE_FILTERS.get(req.action or "")
        if spec is not None:
            kind, names = spec
            present = {n: v for n, v in req.filters() if n in names}
            if present:
                with st.lock:
                    altered = st.book.altered_ids(kind, st.book.clock.now())
                if altered:
                    local = present
                    fwd = req.without_filters(set(present))
        authorization = None
        if fwd is not req and self.server.signer is not None:
            authorization = self.server.signer.resign(req, fwd)
            if authorization is None:  # a bad signature: moto answers the request as the client sent it
                fwd, local = req, {}
        try:
            status, headers, body = self._forward(fwd, authorization)
        except (OSError, http.client.HTTPException) as exc:
            return error_response(
                req.error_style, "ServiceUnavailable",
                f"The upstream endpoint {self.server.upstream_url} is unavailable ({exc.__class__.__name__}: {exc}).",
                502, req.service)
        if raw_sink is not None and status == 200:
            raw_sink.response = (status, headers, body)
        if req.method == "POST" and req.path.rstrip("/") == "/moto-api/reset" and status == 200:
            st.upstream_was_reset()
        action = req.action or ""
        encoded = any(k.lower() == "content-encoding" for k, _ in headers)
        if status == 200 and not encoded:
            ebsdirect.observe(self, req, body)
        copy = None
        if status == 200 and not encoded and action == "CopySnapshot":
            with st.lock:
                timed = st.book.copies_take_time
            copy = self._copy_details(req, body) if timed else None
        if status == 200 and not encoded and (action in DESCRIBE or action in CREATE):
            with st.lock:
                ctx = self._context(req, local)
                ctx.copy = copy
                new = rewrite(action, body, ctx)
            if new is not None:
                body = new
        return status, headers, body

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_HEAD = _dispatch
    do_PATCH = _dispatch
    do_OPTIONS = _dispatch
