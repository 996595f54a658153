"""Command line entry point: ``ec2-proxy --upstream URL [options]``."""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import sys
import tempfile
import threading

from tlsserve import server_context

from .blockstore import MAX_BLOCKS_PER_VOLUME
from .resources import parse_delays
from .server import ProxyServer
from .state import ProxyState


def write_port_file(path: str, port: int) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ec2-proxy-port.", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ec2-proxy",
        description="Fault-injecting, state-progressing reverse proxy in front of moto (EC2, STS, ...).",
    )
    p.add_argument("--upstream", required=True, help="moto base URL, e.g. http://127.0.0.1:5055")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="listen port; 0 picks a free one (default)")
    p.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    p.add_argument("--log", help="append one JSON line per proxied call to this file")
    p.add_argument("--log-size", type=int, default=10000, help="calls kept in memory for /__proxy/log")
    p.add_argument("--state-delays", default="",
                   help="seconds per transition, e.g. stop=5,start=3,snapshot=10,volume=4,copy=20,copy_per_gib=0.5 "
                   "(default all 0)")
    p.add_argument("--enforce-states", action="store_true",
                   help="reject calls AWS would reject while a resource is in a transient state")
    p.add_argument("--no-idempotency", action="store_true",
                   help="do not emulate ClientToken idempotency for CreateVolume/RunInstances")
    p.add_argument("--seed", type=int, default=None, help="seed for probability faults and latency ranges")
    p.add_argument("--upstream-timeout", type=float, default=60.0, help="seconds to wait for moto")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM; with --tls-key)")
    p.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    p.add_argument("--verbose", action="store_true", help="log every request line to stderr")
    p.add_argument("--ebs-blocks-per-volume", type=int, default=16,
                   help="allocated 512 KiB blocks of a new volume's content, block 0 included (default 16)")
    p.add_argument("--ebs-mibps", type=float, default=0.0,
                   help="GetSnapshotBlock MiB/s per snapshot; above it RequestThrottledException (default 0: no limit)")
    p.add_argument("--ebs-rps", type=float, default=0.0,
                   help="EBS direct API calls per second per account and action; above it RequestThrottledException "
                   "(default 0: no limit)")
    p.add_argument("--credentials", help="the IAM users file moto checks signatures with (scripts/moto-server "
                   "--iam-users): requests the proxy edits are verified and signed again with it, and so are the EBS "
                   "direct API calls it answers itself")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        print("ec2-proxy: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    try:
        delays = parse_delays(args.state_delays)
    except ValueError as exc:
        print(f"ec2-proxy: --state-delays: {exc}", file=sys.stderr)
        return 2
    if not 1 <= args.ebs_blocks_per_volume <= MAX_BLOCKS_PER_VOLUME or args.ebs_mibps < 0 or args.ebs_rps < 0:
        print(f"ec2-proxy: --ebs-blocks-per-volume is 1..{MAX_BLOCKS_PER_VOLUME}; --ebs-mibps and --ebs-rps are >= 0",
              file=sys.stderr)
        return 2
    state = ProxyState(delays, args.seed, log_size=args.log_size, log_path=args.log,
                       enforce=args.enforce_states, idempotency=not args.no_idempotency,
                       ebs={"blocks_per_volume": args.ebs_blocks_per_volume, "mibps": args.ebs_mibps,
                            "rps": args.ebs_rps})
    try:
        signer = None
        if args.credentials:
            from .signing import Signer  # botocore, only when signatures are checked

            signer = Signer.load(args.credentials)
        context = server_context(args.tls_cert, args.tls_key) if args.tls_cert else None
        server = ProxyServer((args.host, args.port), state, args.upstream,
                             upstream_timeout=args.upstream_timeout, verbose=args.verbose, signer=signer,
                             ssl_context=context)
    except (OSError, ValueError, KeyError, ssl.SSLError) as exc:
        print(f"ec2-proxy: cannot start: {exc}", file=sys.stderr)
        return 1
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)

    def on_signal(signum, frame):  # shutdown() blocks until serve_forever returns
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"ec2-proxy: listening on {'https' if args.tls_cert else 'http'}://{args.host}:{port} -> {args.upstream}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    print("ec2-proxy: stopped", file=sys.stderr, flush=True)
    return 0
