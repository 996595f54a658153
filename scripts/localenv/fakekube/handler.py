"""HTTP handling: parse, authenticate, authorize, route, and write JSON, tables, logs and watch streams.

One handler thread serves one connection (HTTP/1.1 keep-alive), so a watch streaming on one connection never
blocks other requests. Every failure leaves as a `Status` object; an unexpected exception is logged and answered
with 500, never with a stack trace or a hung connection.
"""

import json
import logging
import select
import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from . import discovery, errors, protobuf, requestinfo, tables
from .api import JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, Options
from .selectors import FieldSelector, LabelSelector
from .watch import Watch

try:  # optional: YAML request bodies
    import yaml
except ImportError:  # pragma: no cover - depends on the environment
    yaml = None

log = logging.getLogger("fakekube")

MAX_BODY = 3 * 1024 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024
HEALTH_PATHS = ("/healthz", "/livez", "/readyz")
FIELD_VALIDATION = {"ignore": "Ignore", "warn": "Warn", "strict": "Strict"}
WATCH_LIMIT = 1800.0  # longest watch, like the apiserver's --min-request-timeout
_REVIEWS = {"tokenreviews", "subjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews",
            "selfsubjectreviews"}


class _Reset(Exception):
    """Close the connection without answering (fault injection)."""


def _media_types(header):
    """[(media type, {param: value})] from an Accept or Content-Type header, in order."""
    result = []
    for part in (header or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        params = dict(p.split("=", 1) for p in pieces[1:] if "=" in p)
        result.append((pieces[0].lower(), {k.strip(): v.strip() for k, v in params.items()}))
    return result


def _decode_json(raw):
    """(value, duplicate keys); malformed JSON is a 400 like the apiserver's decoder error."""
    duplicates = []

    def pairs(items):
        seen = {}
        for key, value in items:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        return json.loads(raw, object_pairs_hook=pairs), duplicates
    except (ValueError, UnicodeDecodeError) as e:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {e}") from None


def _valid_review(body):
    """A review needs an object spec whose attributes are objects, whose token is a string, groups a list."""
    spec = (body.get("spec") or {}) if isinstance(body, dict) else None
    return (isinstance(spec, dict)
            and all(isinstance(spec.get(k) or {}, dict) for k in ("resourceAttributes", "nonResourceAttributes"))
            and isinstance(spec.get("token") or "", str) and isinstance(spec.get("groups") or [], list))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are closed after this many seconds

    def log_message(self, fmt, *args):
        log.debug("%s %s", self.address_string(), fmt % args)

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # --- plumbing ----------------------------------------------------------------------------------------------------

    @property
    def app(self):
        return self.server.app

    def _handle(self):
        started = time.monotonic()
        self._sent = False
        self._code = 0
        self._warnings = []
        self._user = ""
        url = urlsplit(self.path)
        path = url.path or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        info = requestinfo.parse(path, self.command, query)
        is_control = path.startswith("/__fake/")
        is_health = path in HEALTH_PATHS or path.startswith(tuple(p + "/" for p in HEALTH_PATHS))
        self._pending_record = None if is_control or is_health else (info, query)
        try:
            raw = self._read_body()
            if is_control:
                body = _decode_json(raw)[0] if raw.strip() else None
                code, payload = self.app.control.handle(self.command, path, query, body)
                self._send_json(code, payload)
                return
            if is_health:
                self._send_bytes(200, b"ok", "text/plain; charset=utf-8")
                return
            if path == "/version":
                self._send_json(200, discovery.VERSION)
                return
            identity = self._authenticate()
            self._user = identity.username
            self._inject_fault(info, raw)
            attrs = info.attributes()
            if not self.app.auth.allowed(identity.username, identity.groups, attrs):
                raise errors.forbidden(self.app.auth.forbidden_message(identity, attrs),
                                       {"name": info.name, "group": info.group, "kind": info.plural}
                                       if info.is_resource else None)
            self._route(info, query, raw, identity)
        except _Reset:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except errors.ApiError as e:
            self._send_error(e)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception:  # noqa: BLE001 - the last line of defence: answer 500 and keep serving
            log.exception("unexpected error serving %s %s", self.command, self.path)
            self._send_error(errors.internal("unexpected server error; see the fake-kube-apiserver log"))
        finally:
            self._record(0)  # requests that ended without an answer
            log.info("%s %s %s %s %.1fms", self._user or "-", self.command, self.path, self._code,
                     (time.monotonic() - started) * 1000)

    def _read_body(self):
        try:
            return self._read_raw_body()
        except ValueError:  # a Content-Length or chunk size that is not a number
            self.close_connection = True
            raise errors.bad_request("malformed request body framing") from None

    def _read_raw_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    self.close_connection = True
                    raise errors.too_large(MAX_BODY)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            if length <= DRAIN_LIMIT:  # read it all, so the client gets to see the 413 instead of a broken pipe
                while length > 0:
                    chunk = self.rfile.read(min(length, 1 << 20))
                    if not chunk:
                        break
                    length -= len(chunk)
            raise errors.too_large(MAX_BODY)
        return self.rfile.read(length) if length else b""

    def _authenticate(self):
        """The caller's identity: a verified client certificate, else a bearer token, else 401.

        Exception: kubectl (client-go) never sends credentials over plain HTTP (kubernetes/kubectl#744), so on a
        plain-HTTP server a request with no credentials at all is served as the admin, like the apiserver's old
        insecure port, unless the server runs with `--http-anonymous reject`.
        """
        auth = self.app.auth
        if isinstance(self.connection, ssl.SSLSocket):
            identity = auth.identity_for_certificate(self.connection.getpeercert())
            if identity:
                return identity
        header = self.headers.get("Authorization")
        if header is None and not isinstance(self.connection, ssl.SSLSocket) and self.app.http_anonymous_admin:
            return auth.identity_for_token(auth.admin_token)
        if (header or "")[:7].lower() == "bearer ":
            identity = auth.identity_for_token(header[7:].strip())
            if identity:
                return identity
        raise errors.unauthorized()

    def _inject_fault(self, info, raw=b""):
        body_name = None
        if raw and raw.strip():
            try:
                body_name = ((json.loads(raw) or {}).get("metadata") or {}).get("name")
            except (ValueError, AttributeError):
                body_name = None
        fault = self.app.faults.take(info, body_name, raw)
        if fault is None:
            return
        if fault.delay:
            time.sleep(fault.delay)
        if fault.reset:
            raise _Reset()
        if fault.code is not None:
            raise fault.error(self._resource_type(info, must_exist=False), info)

    def _record(self, code):
        """Count the request once, before the client can see the answer (so tests that read the counters right
        after a response find it counted)."""
        if self._pending_record is not None:
            info, query = self._pending_record
            self._pending_record = None
            self.app.stats.record(info, query, code, self._user)

    def _send_bytes(self, code, data, content_type, headers=None):
        self._code = code
        self._record(code)
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for warning in self._warnings:
            escaped = warning.replace("\\", "\\\\").replace('"', '\\"')
            self.send_header("Warning", f'299 - "{escaped}"')
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self._sent = True
        if self.command != "HEAD":
            self.wfile.write(data)

    def start_answer(self, code, headers):
        """Send the status line and `headers` [(name, value)] of an answer whose body the caller writes to `wfile`
        (aggregator.py relays backend answers this way)."""
        self._code = code
        self._record(code)
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self._sent = True

    def _send_json(self, code, obj, headers=None):
        self._send_bytes(code, json.dumps(obj, separators=(",", ":")).encode(), "application/json", headers)

    def _send_error(self, error):
        if self._sent:  # a stream already started: all we can do is end it
            self.close_connection = True
            return
        self._send_json(error.code, error.status(), error.headers)

    # --- routing -----------------------------------------------------------------------------------------------------

    def _route(self, info, query, raw, identity):
        path = info.path.rstrip("/") or "/"
        aggregator = self.app.aggregator
        apiservice = aggregator.target(info)
        if apiservice is not None:  # an aggregated API: its server answers (aggregator.py)
            return aggregator.proxy(self, apiservice, identity, raw, info.verb == "watch")
        if self.command not in ("GET", "HEAD") and not info.is_resource:
            raise errors.method_not_allowed(self.command)
        registry = self.app.registry
        if path == "/api":
            host = f"{self.server.server_address[0]}:{self.server.server_address[1]}"
            return self._send_json(200, discovery.api_versions(host))
        if path == "/apis":
            return self._send_json(200, discovery.api_group_list(registry, aggregator.remote_versions()))
        if path.startswith("/openapi/"):
            return self._openapi(path)
        parts = path.strip("/").split("/")
        if parts[0] == "apis" and len(parts) == 2:
            return self._send_document(discovery.api_group(registry, parts[1], aggregator.remote_versions()))
        if info.api_prefix and not info.is_resource and not info.watch_path:
            return self._send_document(discovery.resource_list(registry, info.group, info.version))
        if not info.is_resource:
            raise errors.path_not_found()
        rt = self._resource_type(info)
        if info.plural in _REVIEWS:
            return self._review(rt, info, raw, identity)
        return self._resource(rt, info, query, raw)

    def _send_document(self, document):
        if document is None:
            raise errors.path_not_found()
        self._send_json(200, document)

    def _openapi(self, path):
        openapi = self.app.openapi
        if path == "/openapi/v3":
            return self._send_json(200, openapi.index())
        parts = path[len("/openapi/v3/"):].split("/") if path.startswith("/openapi/v3/") else []
        if parts[:1] == ["api"] and len(parts) == 2:
            body, _ = openapi.document("", parts[1])
        elif parts[:1] == ["apis"] and len(parts) == 3:
            body, _ = openapi.document(parts[1], parts[2])
        else:
            body = None
        if body is None:
            raise errors.path_not_found()
        self._send_bytes(200, body, "application/json")

    def _resource_type(self, info, must_exist=True):
        rt = self.app.registry.lookup(info.group, info.version, info.plural)
        if rt is None and must_exist:
            raise errors.path_not_found()
        return rt

    # --- resources ---------------------------------------------------------------------------------------------------

    def _resource(self, rt, info, query, raw):
        if info.namespace and not rt.namespaced:
            raise errors.path_not_found()
        if info.subresource and info.subresource not in rt.subresources:
            raise errors.path_not_found()
        namespace = info.namespace if rt.namespaced else ""
        method = self.command
        if not info.name:
            if rt.namespaced and not info.namespace and method not in ("GET", "HEAD"):
                raise errors.method_not_allowed(method)
            if method in ("GET", "HEAD"):
                return self._list_or_watch(rt, info, namespace, query)
            if method == "POST":
                opts = self._write_options(rt, query)
                obj = self.app.api.create(rt, namespace, self._body(raw, rt, opts), opts)
                self._warnings = opts.warnings
                return self._send_json(201, obj)
            if method == "DELETE":
                opts = self._write_options(rt, query)
                deleted, rv = self.app.api.delete_collection(
                    rt, namespace, LabelSelector.parse(query.get("labelSelector")),
                    FieldSelector.parse(query.get("fieldSelector"), rt), self._delete_options(raw, query), opts)
                return self._send_json(200, {"kind": rt.list_kind, "apiVersion": rt.api_version,
                                             "metadata": {"resourceVersion": str(rv)}, "items": deleted})
            raise errors.method_not_allowed(method)
        if info.subresource == "log":
            if method != "GET":
                raise errors.method_not_allowed(method)
            return self._pod_log(namespace, info.name, query)
        api = self.app.api
        if method in ("GET", "HEAD"):
            obj = api.get(rt, namespace, info.name)
            return self._send_object(rt, obj, query)
        if method == "PUT":
            opts = self._write_options(rt, query)
            obj = api.update(rt, namespace, info.name, self._body(raw, rt, opts), opts, info.subresource)
        elif method == "PATCH":
            opts = self._write_options(rt, query)
            patch_type = self._patch_type(rt)
            patch_body = self._decode(raw, rt, opts, patch_type)
            obj = api.patch(rt, namespace, info.name, patch_type, patch_body, opts, info.subresource)
        elif method == "DELETE" and not info.subresource:
            opts = self._write_options(rt, query)
            obj = api.delete(rt, namespace, info.name, self._delete_options(raw, query), opts)
        else:
            raise errors.method_not_allowed(method)
        self._warnings = opts.warnings
        self._send_json(200, obj)

    def _write_options(self, rt, query):
        requested = query.get("fieldValidation", "")
        if requested and requested.lower() not in FIELD_VALIDATION:
            raise errors.bad_request('fieldValidation must be one of "Ignore", "Warn", or "Strict"')
        dry_run = query.get("dryRun", "")
        if dry_run not in ("", "All"):
            raise errors.bad_request(f'Invalid dry run value: "{dry_run}"; the only supported value is "All"')
        mode = self.app.api.field_validation(rt, FIELD_VALIDATION.get(requested.lower(), ""))
        return Options(field_validation=mode, dry_run=dry_run == "All")

    def _content_type(self):
        types = _media_types(self.headers.get("Content-Type", ""))
        return types[0][0] if types else ""

    def _patch_type(self, rt):
        content_type = self._content_type()
        if content_type in (JSON_PATCH, MERGE_PATCH) or (content_type == STRATEGIC_PATCH and not rt.is_custom):
            return content_type
        accepted = [JSON_PATCH, MERGE_PATCH] + ([] if rt.is_custom else [STRATEGIC_PATCH])
        raise errors.unsupported_media_type(accepted)

    def _body(self, raw, rt, opts):
        content_type = self._content_type()
        if content_type in ("", "application/json", "*/*"):
            return self._decode(raw, rt, opts, content_type)
        if content_type == protobuf.MEDIA_TYPE:
            return self._decode_protobuf(raw)
        if content_type in ("application/yaml", "application/x-yaml") and yaml is not None:
            if not raw.strip():
                raise errors.bad_request("the request body is empty")
            try:
                return yaml.safe_load(raw)
            except yaml.YAMLError as e:
                raise errors.bad_request(f"yaml: {e}") from None
        accepted = ["application/json"] + (["application/yaml"] if yaml is not None else [])
        raise errors.unsupported_media_type(accepted)

    def _decode(self, raw, rt, opts, content_type):
        if not raw.strip():
            raise errors.bad_request("the request body is empty")
        value, duplicates = _decode_json(raw)
        if duplicates and content_type not in (JSON_PATCH,):
            problems = ", ".join(f'duplicate field "{d}"' for d in duplicates)
            if opts.field_validation == "Strict":
                raise errors.bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
                                         f'strict decoding error: {problems}')
            if opts.field_validation == "Warn":
                opts.warnings.extend(f'duplicate field "{d}"' for d in duplicates)
        return value

    def _decode_protobuf(self, raw):
        """A protobuf body as JSON; 415 for kinds without a .proto message, 400 for malformed bytes."""
        try:
            return self.app.schemas.protobuf.decode_object(raw)
        except protobuf.MissingSchema as e:
            message = f"the body of the request was in an unknown format - {e}; accepted media types include: " \
                      f"application/json"
            raise errors.ApiError(415, "UnsupportedMediaType", message) from None
        except protobuf.ProtobufError as e:
            raise errors.bad_request(f"couldn't decode the protobuf body: {e}") from None

    def _delete_options(self, raw, query):
        options = {}
        if raw.strip():
            options = self._decode_protobuf(raw) if self._content_type() == protobuf.MEDIA_TYPE else \
                _decode_json(raw)[0]
            if not isinstance(options, dict) or not isinstance(options.get("preconditions") or {}, dict):
                raise errors.bad_request("DeleteOptions must be a JSON object with an object as preconditions")
        if query.get("propagationPolicy"):
            options["propagationPolicy"] = query["propagationPolicy"]
        if query.get("orphanDependents"):
            options["orphanDependents"] = query["orphanDependents"] == "true"
        return options

    # --- output formats ----------------------------------------------------------------------------------------------

    def _output_format(self):
        """("json", None), ("table", apiVersion) or ("partial", apiVersion) from the Accept header.

        The first acceptable media range wins; 406 when none of them is JSON (protobuf only).
        """
        accepts = _media_types(self.headers.get("Accept", "")) or [("*/*", {})]
        for media, params in accepts:
            if media not in ("application/json", "*/*", "application/*"):
                continue
            as_kind = params.get("as")
            if as_kind == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
                return "table", f"meta.k8s.io/{params['v']}"
            if as_kind in ("PartialObjectMetadata", "PartialObjectMetadataList") and \
                    params.get("g") == "meta.k8s.io":
                return "partial", f"meta.k8s.io/{params.get('v', 'v1')}"
            if as_kind is None:
                return "json", None
        raise errors.not_acceptable(["application/json", "application/json;as=Table;v=v1;g=meta.k8s.io"])

    def _send_object(self, rt, obj, query):
        kind, api_version = self._output_format()
        if kind == "table":
            obj = tables.to_table(rt, [obj], api_version, {"resourceVersion": obj["metadata"]["resourceVersion"]},
                                  self._include_object(query))
        elif kind == "partial":
            obj = {"kind": "PartialObjectMetadata", "apiVersion": api_version, "metadata": obj["metadata"]}
        self._send_json(200, obj)

    @staticmethod
    def _include_object(query):
        value = query.get("includeObject") or "Metadata"
        if value not in ("None", "Metadata", "Object"):
            raise errors.bad_request(f"includeObject must be one of None, Metadata or Object, not {value!r}")
        return value

    # --- list and watch ----------------------------------------------------------------------------------------------

    def _list_or_watch(self, rt, info, namespace, query):
        label_selector = LabelSelector.parse(query.get("labelSelector"))
        field_selector = FieldSelector.parse(query.get("fieldSelector"), rt)
        output = self._output_format()
        if info.verb == "watch":
            return self._watch(rt, namespace, query, label_selector, field_selector, output)
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            raise errors.bad_request(f"invalid limit: {query.get('limit')!r}") from None
        items, rv, token, remaining = self.app.api.list(
            rt, namespace or None, label_selector, field_selector, max(limit, 0), query.get("continue", ""),
            query.get("resourceVersion", ""), query.get("resourceVersionMatch", ""))
        meta = {"resourceVersion": str(rv)}
        if token:
            meta["continue"] = token
            meta["remainingItemCount"] = remaining
        kind, api_version = output
        if kind == "table":
            return self._send_json(200, tables.to_table(rt, items, api_version, meta, self._include_object(query)))
        if kind == "partial":
            items = [{"kind": "PartialObjectMetadata", "apiVersion": api_version, "metadata": o["metadata"]}
                     for o in items]
            return self._send_json(200, {"kind": "PartialObjectMetadataList", "apiVersion": api_version,
                                         "metadata": meta, "items": items})
        self._send_json(200, {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta,
                              "items": items})

    def _watch(self, rt, namespace, query, label_selector, field_selector, output):
        try:
            timeout = min(float(query.get("timeoutSeconds") or WATCH_LIMIT), WATCH_LIMIT)
        except ValueError:
            raise errors.bad_request(f"invalid timeoutSeconds: {query.get('timeoutSeconds')!r}") from None
        settings = self.app.settings
        watch = Watch(self.app.store, rt, namespace, label_selector, field_selector,
                      resource_version=query.get("resourceVersion", ""),
                      bookmarks=query.get("allowWatchBookmarks") in ("true", "1"),
                      send_initial_events=query.get("sendInitialEvents") in ("true", "1"),
                      timeout=timeout, bookmark_interval=lambda: settings.bookmark_interval,
                      path=self.path, user=self._user)
        include = self._include_object(query) if output[0] == "table" else None
        self._code = 200
        self._record(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self._sent = True
        self.app.watches.add(watch)
        first_table = True
        try:
            for item in watch.events():
                if item is None:
                    if self._client_gone():
                        self.close_connection = True
                        return
                    continue
                event_type, obj = item
                if output[0] == "table" and event_type in ("ADDED", "MODIFIED", "DELETED"):
                    obj = tables.to_table(rt, [obj], output[1], {"resourceVersion": obj["metadata"][
                        "resourceVersion"]}, include, no_headers=not first_table)
                    first_table = False
                elif output[0] == "partial" and event_type in ("ADDED", "MODIFIED", "DELETED"):
                    obj = {"kind": "PartialObjectMetadata", "apiVersion": output[1], "metadata": obj["metadata"]}
                self._write_chunk(json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode()
                                  + b"\n")
            if watch.dropped.is_set():
                # Cut like a network drop: no final chunk, so the client sees an unfinished body and never puts the
                # connection back in its pool (where a later request would meet the close).
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self._write_chunk(b"")
        finally:
            self.app.watches.remove(watch)

    def _write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _client_gone(self):
        """True when the client closed its end of an idle watch connection."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            if isinstance(sock, ssl.SSLSocket):
                sock.settimeout(0)
                try:
                    return sock.recv(1) == b""
                except ssl.SSLWantReadError:
                    return False
                finally:
                    sock.settimeout(self.timeout)
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    # --- pod logs and reviews ----------------------------------------------------------------------------------------

    def _pod_log(self, namespace, name, query):
        container = query.get("container", "")
        controllers = self.app.controllers
        text = controllers.pod_log(namespace, name, container)
        if query.get("follow") in ("true", "1"):
            deadline = time.monotonic() + WATCH_LIMIT
            pods = self.app.registry.by_key("/pods")
            while time.monotonic() < deadline and not self.app.store.closed:
                pod = self.app.store.get(pods.key, namespace, name)
                if pod is None or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                    break
                self.app.store.wait(self.app.store.rv, 0.5)
            text = controllers.logs.get((namespace, name), text)
        if query.get("tailLines"):
            try:
                tail = int(query["tailLines"])
            except ValueError:
                raise errors.bad_request(f"invalid tailLines: {query['tailLines']!r}") from None
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-tail:]) if tail > 0 else ""
        data = text.encode()
        if query.get("limitBytes"):
            data = data[:max(int(query["limitBytes"]), 0)]
        self._send_bytes(200, data, "text/plain")

    def _review(self, rt, info, raw, identity):
        if self.command != "POST" or info.name:
            raise errors.method_not_allowed(self.command)
        body = self._body(raw, rt, Options(field_validation="Ignore"))
        if not _valid_review(body):
            raise errors.bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}')
        auth = self.app.auth
        if info.plural == "tokenreviews":
            result = auth.token_review(body)
        elif info.plural == "subjectaccessreviews":
            result = auth.subject_access_review(body)
        elif info.plural == "selfsubjectaccessreviews":
            result = auth.subject_access_review(body, identity)
        elif info.plural == "selfsubjectrulesreviews":
            result = auth.self_subject_rules_review(body, identity)
        else:
            result = auth.self_subject_review(identity)
        self._send_json(201, result)
