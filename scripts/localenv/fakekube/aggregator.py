"""API aggregation as kube-aggregator does it: an APIService sends /apis/<group>/<version> to a backend Service.

- An APIService `<version>.<group>` whose spec.service names a Service takes every request under
  /apis/<group>/<version>, unless that group version is served here (built-in kinds, CRDs). The fake has no Service
  network: `--service-endpoint NS/NAME:PORT=HOST:PORT` or `POST /__fake/endpoints` says where a port is reachable.
- handler.py authenticates and authorizes the request as usual (the real kube-apiserver authorizes aggregated paths
  too), then `Aggregator.proxy` relays it over HTTPS: the backend's certificate is verified against spec.caBundle
  for the name `<name>.<namespace>.svc` (unless insecureSkipTLSVerify), the aggregator presents its front-proxy
  client certificate, drops the caller's Authorization, Impersonate-* and X-Remote-* headers, and names the caller
  in X-Remote-User, X-Remote-Group (one per group) and X-Remote-Extra-<key>. Method, path, query (re-encoded in
  key order, like Go's url.Values) and body go out unchanged; status, headers and body come back streamed.
- Failures are plain text, as Go's http.Error writes them: 503 `service unavailable` when the APIService is not
  Available or its Service has no endpoint, 503 with the connection error when the backend cannot be reached.
- A daemon thread keeps the `Available` condition current, like the remote availability controller of Kubernetes
  1.32: `GET /apis/<group>/<version>` as system:kube-aggregator (system:masters), without verifying the backend's
  certificate, every CHECK_INTERVAL seconds and at once when an APIService spec or an endpoint changes.
- Discovery: /apis and /apis/<group> list the groups of remote APIServices (handler.py, discovery.py); the
  /apis/<group>/<version> resource list is the backend's.
"""

import base64
import binascii
import http.client
import json
import logging
import re
import socket
import ssl
import string
import threading
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import errors
from .clock import now_rfc3339
from .selectors import DNS_SUBDOMAIN

log = logging.getLogger("fakekube")

APISERVICES = "apiregistration.k8s.io/apiservices"
ALLOWED_NAMES = ["front-proxy-client"]
USER_HEADER = "X-Remote-User"
GROUP_HEADER = "X-Remote-Group"
UID_HEADER = "X-Remote-Uid"
EXTRA_PREFIX = "X-Remote-Extra-"
FRONT_PROXY_FLAGS = "--requestheader-client-cert, --requestheader-client-key and --requestheader-ca"
CHECK_INTERVAL = 1.0  # seconds between availability checks
CONNECT_TIMEOUT = 5.0  # seconds to connect to a backend (and the whole availability check)
IDLE_TIMEOUT = 60.0  # seconds a backend may stay silent before a proxied answer is given up
LONGEST_STREAM = 1800.0  # watches through the proxy end after this many seconds, like local ones
TICK = 0.1
CHUNK = 64 * 1024
CONTEXT_CACHE = 32
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_TOKEN_CHARS = set("!#$&'*+-.^_`|~" + string.ascii_letters + string.digits)  # RFC 7230 tchar, without '%'
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
               "trailer", "transfer-encoding", "upgrade"}
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length", "authorization"}
_NOT_RELAYED = _HOP_BY_HOP | {"content-length", "date", "server"}  # the handler writes Date and Server itself


# --- service endpoints ---------------------------------------------------------------------------------------------

def split_address(address):
    """(host, port) of `HOST:PORT` or `[IPv6]:PORT`; ValueError when it is not one."""
    host, colon, port = str(address).rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{address!r} is not HOST:PORT")
    return host, int(port)


def _service_port(value):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() or \
            not 0 < int(value) < 65536:
        raise ValueError(f"port {value!r} is not a number between 1 and 65535")
    return int(value)


def parse_service_endpoint(text):
    """`NAMESPACE/NAME:PORT=HOST:PORT` (the --service-endpoint flag) as (namespace, name, port, address)."""
    service, equals, address = text.partition("=")
    namespace, slash, rest = service.partition("/")
    name, colon, port = rest.rpartition(":")
    if not (equals and slash and colon and namespace and name):
        raise ValueError(f"{text!r} is not NAMESPACE/NAME:PORT=HOST:PORT")
    split_address(address)
    return namespace, name, _service_port(port), address


class Endpoints:
    """Where Service ports are reachable: (namespace, name, port) -> "host:port". `on_change` runs after a change."""

    def __init__(self, on_change):
        self._lock = threading.Lock()
        self._table = {}
        self._on_change = on_change

    def set(self, namespace, name, port, address):
        split_address(address)
        with self._lock:
            self._table[(namespace, name, _service_port(port))] = address
        self._on_change()

    def add(self, spec):
        """The control API's `{"namespace", "name", "port" (default 443), "address": "host:port"}`."""
        if not isinstance(spec, dict) or not spec.get("namespace") or not spec.get("name") or not spec.get("address"):
            raise ValueError("an endpoint needs namespace, name and address (and port, default 443)")
        endpoint = {"namespace": spec["namespace"], "name": spec["name"], "port": _service_port(spec.get("port", 443)),
                    "address": spec["address"]}
        self.set(**endpoint)
        return endpoint

    def remove(self, spec):
        """Removes the endpoints matching every given field of `spec` (all of them for an empty spec)."""
        if not isinstance(spec, dict):
            raise ValueError("the body must be an object with namespace, name and port (each optional)")
        wanted = (spec.get("namespace") or None, spec.get("name") or None,
                  None if spec.get("port") is None else _service_port(spec["port"]))
        with self._lock:
            doomed = [key for key in self._table if all(w in (None, k) for w, k in zip(wanted, key))]
            for key in doomed:
                del self._table[key]
        self._on_change()
        return len(doomed)

    def lookup(self, namespace, name, port):
        with self._lock:
            return self._table.get((namespace, name, port))

    def describe(self):
        with self._lock:
            return [{"namespace": ns, "name": name, "port": port, "address": address}
                    for (ns, name, port), address in sorted(self._table.items())]


# --- the front proxy's credentials ---------------------------------------------------------------------------------

def _read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class FrontProxy:
    """The aggregator's request-header client certificate and key, and the CA that signed them."""

    def __init__(self, cert=None, key=None, ca=None):
        self.cert, self.key = cert, key
        self.ca_pem = _read_text(ca) if ca else None
        self._contexts = {}
        self._lock = threading.Lock()
        if cert:
            self.context(None, verify=False)  # unreadable files fail at start-up, not at the first request

    @property
    def configured(self):
        return bool(self.cert)

    def context(self, ca_bundle, verify):
        """A client TLS context presenting the front-proxy certificate that trusts `ca_bundle` (base64 PEM, None:
        the system CAs), or trusts anything when not `verify`."""
        with self._lock:
            context = self._contexts.get((ca_bundle, verify))
            if context is None:
                if len(self._contexts) >= CONTEXT_CACHE:
                    self._contexts.clear()
                context = self._contexts[(ca_bundle, verify)] = self._new_context(ca_bundle, verify)
            return context

    def _new_context(self, ca_bundle, verify):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.hostname_checks_common_name = False  # like Go: only subjectAltNames name a server
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif ca_bundle:
            context.load_verify_locations(cadata=base64.b64decode(ca_bundle).decode("ascii", "replace"))
        else:
            context.load_default_certs()
        if self.cert:
            context.load_cert_chain(self.cert, self.key)
        context.set_alpn_protocols(["http/1.1"])
        return context


def authentication_data(client_ca_pem, requestheader_ca_pem):
    """The data of kube-system/extension-apiserver-authentication as kube-apiserver publishes it (None: empty)."""
    data = {"client-ca-file": client_ca_pem} if client_ca_pem else {}
    if requestheader_ca_pem:
        compact = {"separators": (",", ":")}
        data.update({"requestheader-client-ca-file": requestheader_ca_pem,
                     "requestheader-allowed-names": json.dumps(ALLOWED_NAMES, **compact),
                     "requestheader-username-headers": json.dumps([USER_HEADER], **compact),
                     "requestheader-group-headers": json.dumps([GROUP_HEADER], **compact),
                     "requestheader-extra-headers-prefix": json.dumps([EXTRA_PREFIX], **compact)})
    return data or None


# --- APIService objects --------------------------------------------------------------------------------------------

def _invalid(field, value, message):
    return {"field": field, "message": f"Invalid value: {json.dumps(value)}: {message}", "reason": "FieldValueInvalid"}


def _required(field, message=""):
    return {"field": field, "message": "Required value" + (f": {message}" if message else ""),
            "reason": "FieldValueRequired"}


def default_apiservice(obj):
    """`obj` with spec.service.port defaulted to 443, as the v1 API defaults it."""
    spec = obj.get("spec")
    service = spec.get("service") if isinstance(spec, dict) else None
    if not isinstance(service, dict) or service.get("port") is not None:
        return obj
    return {**obj, "spec": {**spec, "service": {**service, "port": 443}}}


def apiservice_causes(obj):
    """What makes an APIService invalid, as kube-aggregator's validation words it (field causes)."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    group, version = spec.get("group") or "", spec.get("version") or ""
    name = obj["metadata"].get("name")
    causes = []
    if name and name != f"{version}.{group}":
        causes.append(_invalid("metadata.name", name, f'must be `spec.version+"."+spec.group`: '
                                                      f'"{version}.{group}"'))
    if not group and version != "v1":
        causes.append(_required("spec.group", "only v1 may have an empty group and it better be legacy kube"))
    if group and not (isinstance(group, str) and DNS_SUBDOMAIN.fullmatch(group)):
        causes.append(_invalid("spec.group", group, "a lowercase RFC 1123 subdomain must consist of lower case "
                                                    "alphanumeric characters, '-' or '.'"))
    if not (isinstance(version, str) and _DNS1035.fullmatch(version)):
        causes.append(_invalid("spec.version", version, "a DNS-1035 label must consist of lower case alphanumeric "
                                                        "characters or '-', and start with a letter"))
    for field, limit in (("groupPriorityMinimum", 20000), ("versionPriority", 1000)):
        value = spec.get(field) or 0
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit:
            causes.append(_invalid(f"spec.{field}", value, f"must be positive and less than {limit}"))
    return causes + _service_causes(spec)


def _service_causes(spec):
    service, ca_bundle, insecure = spec.get("service"), spec.get("caBundle") or "", spec.get("insecureSkipTLSVerify")
    causes = []
    try:
        base64.b64decode(ca_bundle, validate=True)
    except (binascii.Error, TypeError, ValueError):
        causes.append(_invalid("spec.caBundle", "<bytes>", "must be base64-encoded PEM"))
    if service is None:
        if ca_bundle:
            causes.append(_invalid("spec.caBundle", f"{len(ca_bundle)} bytes",
                                   "local APIServices may not have a caBundle"))
        if insecure:
            causes.append(_invalid("spec.insecureSkipTLSVerify", True,
                                   "local APIServices may not have insecureSkipTLSVerify"))
        return causes
    if not isinstance(service, dict):
        return causes + [_invalid("spec.service", service, "must be an object")]
    causes += [_required(f"spec.service.{key}") for key in ("namespace", "name") if not service.get(key)]
    try:
        _service_port(service.get("port"))
    except ValueError:
        causes.append(_invalid("spec.service.port", service.get("port"), "must be between 1 and 65535, inclusive"))
    if insecure and ca_bundle:
        causes.append(_invalid("spec.insecureSkipTLSVerify", True, "may not be true if caBundle is present"))
    return causes


def _service(apiservice):
    service = apiservice["spec"]["service"]
    return service["namespace"], service["name"], int(service.get("port") or 443)


def _available_condition(apiservice):
    return next((c for c in (apiservice.get("status") or {}).get("conditions") or [] if c.get("type") == "Available"),
                None)


def _discovery_path(apiservice):
    spec = apiservice["spec"]
    return f"/api/{spec['version']}" if not spec.get("group") else f"/apis/{spec['group']}/{spec['version']}"


# --- HTTP to backends ----------------------------------------------------------------------------------------------

class _BackendConnection(http.client.HTTPSConnection):
    """HTTPS to an endpoint address whose certificate is checked for the Service's DNS name (SNI included)."""

    def __init__(self, address, server_name, context):
        host, port = split_address(address)
        super().__init__(host, port, timeout=CONNECT_TIMEOUT, context=context)
        self.server_name, self.tls_context = server_name, context

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self.tls_context.wrap_socket(self.sock, server_hostname=self.server_name)


def _server_name(namespace, name):
    return f"{name}.{namespace}.svc"


def _connection_error(error, address):
    """A connection failure in the words of Go's net/http, which is what the real proxy answers."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"tls: failed to verify certificate: x509: {error.verify_message}"
    if isinstance(error, ConnectionRefusedError):
        return f"dial tcp {address}: connect: connection refused"
    if isinstance(error, (TimeoutError, socket.timeout)):
        return f"dial tcp {address}: i/o timeout"
    return f"error trying to reach service: {error or type(error).__name__}"


def _escape_header_key(key):
    """An X-Remote-Extra- key with the bytes a header name may not carry %-encoded (client-go's headerKeyEscape)."""
    return "".join(c if c in _TOKEN_CHARS else "".join(f"%{b:02X}" for b in c.encode()) for c in key)


def identity_headers(username, groups, extra):
    """X-Remote-User, one X-Remote-Group per group and X-Remote-Extra-<key> per value (client-go's
    SetAuthProxyHeaders; X-Remote-Uid is behind a feature gate that Kubernetes 1.32 leaves off)."""
    headers = [(USER_HEADER, username)] + [(GROUP_HEADER, group) for group in groups]
    for key, values in (extra or {}).items():
        headers += [(EXTRA_PREFIX + _escape_header_key(key), value) for value in values]
    return headers


def _claims_identity(lower):
    return lower in (USER_HEADER.lower(), GROUP_HEADER.lower(), UID_HEADER.lower()) or \
        lower.startswith(EXTRA_PREFIX.lower()) or lower.startswith("impersonate-")


def _connection_tokens(headers):
    return {token.strip().lower() for value in headers.get_all("Connection") or [] for token in value.split(",")}


def _forwarded_headers(headers, identity, client_ip):
    """The caller's headers without hop-by-hop headers, credentials and identity claims, plus X-Forwarded-For and
    the identity the aggregator vouches for."""
    dropped = _NOT_FORWARDED | _connection_tokens(headers)
    kept = [(name, value) for name, value in headers.items()
            if name.lower() not in dropped and name.lower() != "x-forwarded-for" and not _claims_identity(name.lower())]
    prior = headers.get_all("X-Forwarded-For") or []
    kept.append(("X-Forwarded-For", ", ".join(prior + [client_ip])))
    return kept + identity_headers(identity.username, identity.groups, identity.extra)


def _target(path):
    """The request target for the backend: the path as sent, the query re-encoded in key order (Go's Encode)."""
    url = urlsplit(path)
    pairs = sorted(parse_qsl(url.query, keep_blank_values=True), key=lambda pair: pair[0])
    return url.path + (f"?{urlencode(pairs)}" if pairs else "")


def _answer_plain(handler, code, text):
    """A plain-text answer, as Go's http.Error writes it (the real proxy's errors are not Status objects)."""
    data = f"{text}\n".encode()
    handler.start_answer(code, [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff"),
                                ("Content-Length", str(len(data)))])
    if handler.command != "HEAD":
        handler.wfile.write(data)


def _relay(handler, response, deadline):
    """Stream the backend's answer to the client: Content-Length when the backend gave one, else chunked."""
    dropped = _NOT_RELAYED | _connection_tokens(response.msg)
    headers = [(name, value) for name, value in response.getheaders() if name.lower() not in dropped]
    bodyless = handler.command == "HEAD" or response.status in (204, 304)
    length = response.getheader("Content-Length")
    if bodyless:
        handler.start_answer(response.status, headers + ([("Content-Length", length)] if length else []))
        return
    fixed = response.length
    framing = ("Content-Length", str(fixed)) if fixed is not None else ("Transfer-Encoding", "chunked")
    handler.start_answer(response.status, headers + [framing])
    sent = 0
    try:
        while True:
            if time.monotonic() > deadline:
                handler.close_connection = True  # cut off: the client sees an unfinished body
                return
            data = response.read1(CHUNK)
            if not data:
                break
            sent += len(data)
            handler.wfile.write(data if fixed is not None else b"%x\r\n%s\r\n" % (len(data), data))
    except (OSError, http.client.HTTPException) as e:
        log.info("relaying the answer to %s %s broke off: %s", handler.command, handler.path, e)
        handler.close_connection = True
        return
    if fixed is None:
        handler.wfile.write(b"0\r\n\r\n")
    elif sent < fixed:
        handler.close_connection = True


# --- the aggregator ------------------------------------------------------------------------------------------------

class Aggregator:
    """Routes and relays requests for remote APIServices and keeps their Available condition current (`start()`
    runs the availability checks in a daemon thread until `stop()`)."""

    def __init__(self, api, front_proxy):
        self.api, self.store, self.registry = api, api.store, api.registry
        self.front_proxy = front_proxy
        self.endpoints = Endpoints(self.wake)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fakekube-aggregator", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=1)

    def wake(self):
        """Check availability now (an endpoint changed)."""
        self._wake.set()

    # --- routing ---------------------------------------------------------------------------------------------------

    def target(self, info):
        """The APIService whose backend serves the request's group version, or None (served here)."""
        if not info.api_prefix or not info.group or self.registry.in_group_version(info.group, info.version):
            return None
        apiservice = self.store.get(APISERVICES, "", f"{info.version}.{info.group}")
        return apiservice if apiservice is not None and apiservice["spec"].get("service") else None

    def remote_versions(self):
        """{group: [version, ...]} of the remote APIServices, preferred version first (highest versionPriority)."""
        found = {}
        for apiservice in self.store.items(APISERVICES):
            spec = apiservice["spec"]
            if spec.get("service") and spec.get("group"):
                found.setdefault(spec["group"], []).append((-spec.get("versionPriority", 0), spec["version"]))
        return {group: [version for _, version in sorted(pairs)] for group, pairs in found.items()}

    # --- proxying --------------------------------------------------------------------------------------------------

    def proxy(self, handler, apiservice, identity, body, long_running):
        """Relay the handler's request to the APIService's backend and stream the answer back."""
        if not self.front_proxy.configured:
            return _answer_plain(handler, 503, f"service unavailable: fake-kube-apiserver runs without "
                                               f"{FRONT_PROXY_FLAGS}")
        condition = _available_condition(apiservice)
        address = self.endpoints.lookup(*_service(apiservice))
        if condition is None or condition.get("status") != "True" or address is None:
            return _answer_plain(handler, 503, "service unavailable")
        spec = apiservice["spec"]
        try:
            context = self.front_proxy.context(spec.get("caBundle") or None, not spec.get("insecureSkipTLSVerify"))
        except (ssl.SSLError, ValueError) as e:
            return _answer_plain(handler, 500, f"unable to load root certificates: {e}")
        namespace, name, _ = _service(apiservice)
        conn = _BackendConnection(address, _server_name(namespace, name), context)
        try:
            try:
                response = self._send(conn, handler, identity, body, LONGEST_STREAM if long_running else IDLE_TIMEOUT)
            except (OSError, ValueError, http.client.HTTPException) as e:  # ValueError: a header http.client refuses
                return _answer_plain(handler, 503, _connection_error(e, address))
            _relay(handler, response, time.monotonic() + LONGEST_STREAM)
        finally:
            conn.close()

    @staticmethod
    def _send(conn, handler, identity, body, idle_timeout):
        conn.connect()
        conn.sock.settimeout(idle_timeout)
        conn.putrequest(handler.command, _target(handler.path), skip_accept_encoding=True)
        for name, value in _forwarded_headers(handler.headers, identity, handler.client_address[0]):
            conn.putheader(name, value)
        if body or handler.command in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        return conn.getresponse()

    # --- availability ----------------------------------------------------------------------------------------------

    def _run(self):
        position = self.store.rv
        while not self._stop.is_set() and not self.store.closed:
            self._wake.clear()
            for apiservice in self.store.items(APISERVICES):
                if apiservice["spec"].get("service") and not self._stop.is_set():
                    self._guard(self._check, apiservice)
            position = self._sleep(position)

    @staticmethod
    def _guard(func, *args):
        try:
            func(*args)
        except Exception:  # an availability bug must not stop the checks
            log.exception("availability check %s failed", getattr(func, "__name__", func))

    def _sleep(self, position):
        """Wait up to CHECK_INTERVAL; return early when an APIService spec or an endpoint changes."""
        deadline = time.monotonic() + CHECK_INTERVAL
        while time.monotonic() < deadline and not (self._stop.is_set() or self._wake.is_set() or self.store.closed):
            self.store.wait(position, TICK)
            try:
                events = self.store.events_after(position)
            except errors.ApiError:  # fell behind a compaction: the next round looks at everything anyway
                events = []
            position = self.store.rv
            if any(e.key == APISERVICES and e.type != "DELETED" and (e.old or {}).get("spec") != e.obj.get("spec")
                   for e in events):
                break
        return position

    def _check(self, apiservice):
        status, reason, message = self._condition(apiservice)
        current = _available_condition(apiservice)
        if current and (current.get("status"), current.get("reason"), current.get("message")) == \
                (status, reason, message):
            return
        since = current["lastTransitionTime"] if current and current.get("status") == status else now_rfc3339()
        condition = {"type": "Available", "status": status, "lastTransitionTime": since, "reason": reason,
                     "message": message}

        def change(doc):
            conditions = [c for c in (doc.get("status") or {}).get("conditions") or [] if c.get("type") != "Available"]
            doc["status"] = {**(doc.get("status") or {}), "conditions": conditions + [condition]}

        rt = self.registry.by_key(APISERVICES)
        self.api.mutate(rt, "", apiservice["metadata"]["name"], change)

    def _condition(self, apiservice):
        """(status, reason, message) of the Available condition, in the words of the real controller."""
        namespace, name, port = _service(apiservice)
        address = self.endpoints.lookup(namespace, name, port)
        if address is None:
            service = self.store.get("/services", namespace, name)
            if service is None:
                return "False", "ServiceNotFound", f'service/{name} in "{namespace}" is not present'
            ports = [p for p in (service.get("spec") or {}).get("ports") or [] if p.get("port") == port]
            if not ports:
                return "False", "ServicePortError", f'service/{name} in "{namespace}" is not listening on port {port}'
            return "False", "MissingEndpoints", (f'endpoints for service/{name} in "{namespace}" have no addresses '
                                                 f'with port name "{ports[0].get("name", "")}"')
        if not self.front_proxy.configured:
            return "False", "FailedDiscoveryCheck", f"fake-kube-apiserver runs without {FRONT_PROXY_FLAGS}"
        problem = self._discovery_problem(address, _server_name(namespace, name), _discovery_path(apiservice))
        return ("False", "FailedDiscoveryCheck", problem) if problem else ("True", "Passed", "all checks passed")

    def _discovery_problem(self, address, server_name, path):
        """Why GET `path` on the backend did not answer 2xx, worded like the real check; None when it did."""
        url = f"https://{address}{path}"
        conn = _BackendConnection(address, server_name, self.front_proxy.context(None, verify=False))
        try:
            conn.putrequest("GET", path, skip_accept_encoding=True)
            for name, value in identity_headers("system:kube-aggregator", ["system:masters"], None):
                conn.putheader(name, value)
            conn.endheaders()
            status = conn.getresponse().status
        except (OSError, http.client.HTTPException) as e:
            return f'failing or missing response from {url}: Get "{url}": {_connection_error(e, address)}'
        finally:
            conn.close()
        return None if 200 <= status < 300 else f"failing or missing response from {url}: bad status from {url}: " \
                                                 f"{status}"
