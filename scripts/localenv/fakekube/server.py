"""Command line, assembly and lifecycle: listen, write the port file and kubeconfig, stop cleanly on a signal.

    fake-kube-apiserver --host 127.0.0.1 --port 0 --port-file FILE --kubeconfig FILE
        [--tls-cert F --tls-key F [--tls-ca F] [--client-ca F]] [--tokens FILE] [--admin-token T]
        [--http-anonymous admin|reject]
        [--requestheader-client-cert F --requestheader-client-key F --requestheader-ca F]
        [--service-endpoint NAMESPACE/NAME:PORT=HOST:PORT ...]
        [--seed devenv|none] [--crd-dir DIR ...] [--schemas DIR] [--validate-schemas]
        [--aws-access-key-id X --aws-secret-access-key Y] [--pod-delay S] [--pod-start-delay S]
        [--vm-start-delay S] [--bookmark-interval S] [--watch-history N] [--log FILE]

Once listening it writes the kubeconfig, then the port file (both atomically, so a reader that sees the port
file can use the kubeconfig), and prints `fake-kube-apiserver listening on URL`.
"""

import argparse
import base64
import json
import logging
import os
import signal
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from tlsserve import HandshakeInThread, server_context

from .aggregator import Aggregator, FrontProxy, authentication_data, parse_service_endpoint
from .api import Api
from .auth import Authenticator
from .control import Control, Faults, RequestStats
from .controllers import Controllers, PodOutcomes
from .handler import Handler
from .openapi import OpenAPI
from .resources import Registry, default_crds
from .schemas import Schemas, schemas_problem
from .seed import seed
from .settings import Settings
from .store import Store
from .watch import WatchRegistry

log = logging.getLogger("fakekube")

DEFAULT_SCHEMAS = Path(__file__).resolve().parents[3].parent / "shared" / "schemas"


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="fake-kube-apiserver",
                                description="A fake Kubernetes API server for local development and tests.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the port number here once listening")
    p.add_argument("--kubeconfig", help="write a kubeconfig for the admin user here")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="private key of --tls-cert (PEM)")
    p.add_argument("--tls-ca", help="CA bundle for the kubeconfig (default: the --tls-cert file)")
    p.add_argument("--client-ca", help="accept client certificates signed by this CA (user = CN, groups = O)")
    p.add_argument("--tokens", help='JSON token table: {"TOKEN": {"username": ..., "groups": [...], "rules": [...]}}')
    p.add_argument("--admin-token", help="the admin bearer token (default: random)")
    p.add_argument("--http-anonymous", choices=["admin", "reject"], default="admin",
                   help="plain HTTP only: serve requests without credentials as the admin (default; kubectl never "
                        "sends tokens over plain HTTP) or reject them with 401")
    p.add_argument("--requestheader-client-cert",
                   help="the aggregator's front-proxy client certificate (PEM, CN front-proxy-client)")
    p.add_argument("--requestheader-client-key", help="private key of --requestheader-client-cert (PEM)")
    p.add_argument("--requestheader-ca", help="the CA that signed --requestheader-client-cert (PEM)")
    p.add_argument("--service-endpoint", action="append", default=[], type=_service_endpoint,
                   metavar="NAMESPACE/NAME:PORT=HOST:PORT", help="where a Service port is reachable (repeatable)")
    p.add_argument("--seed", choices=["devenv", "none"], default="devenv")
    p.add_argument("--crd-dir", action="append", default=[], help="extra CRD files (later ones take precedence)")
    p.add_argument("--schemas", default=str(DEFAULT_SCHEMAS), help="the shared schemas folder")
    p.add_argument("--validate-schemas", action="store_true", help="validate bodies against the schemas (422)")
    p.add_argument("--aws-access-key-id")
    p.add_argument("--aws-secret-access-key")
    p.add_argument("--pod-delay", type=float, default=2.0, help="seconds from Pod creation to completion")
    p.add_argument("--pod-start-delay", type=float, default=0.5, help="seconds from Pod creation to Running")
    p.add_argument("--vm-start-delay", type=float, default=0.5, help="seconds a VMI takes to start")
    p.add_argument("--bookmark-interval", type=float, default=1.0, help="seconds between watch bookmarks")
    p.add_argument("--watch-history", type=int, default=1000, help="events kept for watch resumption")
    p.add_argument("--log", help="log file (requests at INFO); default: warnings on stderr")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        p.error("--client-ca needs --tls-cert and --tls-key")
    front_proxy = (args.requestheader_client_cert, args.requestheader_client_key, args.requestheader_ca)
    if any(front_proxy) and not all(front_proxy):
        p.error("--requestheader-client-cert, --requestheader-client-key and --requestheader-ca go together")
    for directory in args.crd_dir:
        if not os.path.isdir(directory):
            p.error(f"--crd-dir {directory}: not a directory")
    if args.validate_schemas:
        problem = schemas_problem(args.schemas)
        if problem:
            p.error(f"--validate-schemas: {problem}")
    return args


def _service_endpoint(text):
    try:
        return parse_service_endpoint(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


class App:
    """Everything one server instance owns; the HTTP handler reaches it as `server.app`."""

    def __init__(self, args):
        self.settings = Settings(pod_delay=args.pod_delay, pod_start_delay=args.pod_start_delay,
                                 vm_start_delay=args.vm_start_delay, bookmark_interval=args.bookmark_interval)
        self.registry = Registry()
        self.store = Store(history_limit=args.watch_history)
        self.schemas = Schemas(args.schemas, validate=args.validate_schemas)
        self.api = Api(self.store, self.registry, self.schemas)
        self.openapi = OpenAPI(self.registry, self.schemas)
        self.auth = Authenticator(args.admin_token, args.tokens)
        self.http_anonymous_admin = args.http_anonymous == "admin"
        self.faults = Faults()
        self.stats = RequestStats()
        self.watches = WatchRegistry()
        self.outcomes = PodOutcomes()
        self.controllers = Controllers(self.api, self.settings, self.outcomes)
        front_proxy = FrontProxy(args.requestheader_client_cert, args.requestheader_client_key, args.requestheader_ca)
        self.aggregator = Aggregator(self.api, front_proxy)
        for endpoint in args.service_endpoint:
            self.aggregator.endpoints.set(*endpoint)
        self.control = Control(self)
        client_ca_pem = Path(args.client_ca).read_text(encoding="utf-8") if args.client_ca else None
        seed(self.api, default_crds(args.schemas, args.crd_dir), args.seed, args.aws_access_key_id,
             args.aws_secret_access_key, authentication_data(client_ca_pem, front_proxy.ca_pem))


class Server(HandshakeInThread, ThreadingHTTPServer):
    """Thread per connection; TLS handshakes happen in the connection's thread, not in the accept loop."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, ssl_context=None):
        self.app = app
        self.ssl_context = ssl_context
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


def _write_atomically(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def kubeconfig_text(url, token, ca_pem=None):
    """A kubeconfig (YAML; values are JSON strings, which YAML reads as double-quoted scalars)."""
    q = json.dumps
    cluster = f"    server: {q(url)}\n"
    if ca_pem:
        cluster += f"    certificate-authority-data: {q(base64.b64encode(ca_pem).decode())}\n"
    return ("apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n" + cluster +
            f"users:\n- name: admin\n  user:\n    token: {q(token)}\n"
            "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: admin\n    namespace: default\n"
            "current-context: fake\npreferences: {}\n")


def _configure_logging(path):
    handler = logging.FileHandler(path) if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO if path else logging.WARNING)


def main(argv=None):
    args = parse_args(argv)
    _configure_logging(args.log)
    app = App(args)
    context = server_context(args.tls_cert, args.tls_key, args.client_ca) if args.tls_cert else None
    server = Server((args.host, args.port), app, context)
    port = server.server_address[1]
    url = f"{'https' if context else 'http'}://{args.host}:{port}"
    app.controllers.start()
    app.aggregator.start()
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="fakekube-http",
                               daemon=True)
    serving.start()
    if args.kubeconfig:
        ca_pem = None
        if context:
            with open(args.tls_ca or args.tls_cert, "rb") as f:
                ca_pem = f.read()
        _write_atomically(args.kubeconfig, kubeconfig_text(url, app.auth.admin_token, ca_pem))
    if args.port_file:
        _write_atomically(args.port_file, f"{port}\n")
    print(f"fake-kube-apiserver listening on {url}", flush=True)
    log.info("fake-kube-apiserver listening on %s", url)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    log.warning("stopping")
    app.store.close()  # ends every watch stream
    app.controllers.stop()
    app.aggregator.stop()
    server.shutdown()
    server.server_close()
    return 0
