"""Questions the proxy asks moto itself, as the caller of a request it has seen.

The proxy learns what it needs about a resource (a copy's size, a volume's size, whether a snapshot is readable by an
account) with an EC2 query of its own, sent to moto as the caller of `origin`: with `--credentials`, signed again
with the caller's key for EC2 once the caller's own signature checked out; without, with the caller's headers (a moto
that checks nothing takes the account from them; one that checks signatures refuses, and the question has no answer).
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
from typing import TYPE_CHECKING

from .awsreq import AwsRequest

if TYPE_CHECKING:
    from .server import ProxyServer

_SKIP = {"authorization", "content-length", "content-type", "content-encoding", "transfer-encoding", "connection",
         "keep-alive", "expect", "x-amz-target", "x-amz-content-sha256"}
_SCOPE_SERVICE = re.compile(r"(Credential=[^/,\s]+/\d{8}/[^/,\s]+/)[^/,\s]+(/aws4_request)")


def ask_ec2(server: ProxyServer, origin: AwsRequest, params: list[tuple[str, str]]) -> tuple[int, bytes] | None:
    """moto's answer (status, body) to the EC2 query `params` asked as `origin`'s caller, or None when it cannot be
    asked (a signature that does not check out, moto unreachable)."""
    body = urllib.parse.urlencode(params).encode()
    headers = {k: v for k, v in origin.headers.items() if k not in _SKIP}
    headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8"
    question = AwsRequest(method="POST", path="/", query="", headers=headers, body=body, params=params,
                          form_body=True, action=dict(params).get("Action"), service="ec2", region=origin.region,
                          account=origin.account)
    if server.signer is not None:
        authorization = server.signer.resign(origin, question, service="ec2")
        if authorization is None:
            return None
    elif origin.headers.get("authorization"):  # moto routes by the scope's service; it checks nothing, or refuses
        authorization = _SCOPE_SERVICE.sub(r"\1ec2\2", origin.headers["authorization"])
    else:  # an unsigned caller (no --credentials): a scope moto can route by
        authorization = (f"AWS4-HMAC-SHA256 Credential=unsigned/20000101/{origin.region or 'us-east-1'}/ec2/"
                         "aws4_request, SignedHeaders=host, Signature=unsigned")
    headers["authorization"] = authorization
    conn = http.client.HTTPConnection(server.upstream_host, server.upstream_port, timeout=server.upstream_timeout)
    try:
        conn.putrequest("POST", "/", skip_host=True, skip_accept_encoding=True)
        if "host" not in headers:
            conn.putheader("Host", f"{server.upstream_host}:{server.upstream_port}")
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        answer = conn.getresponse()
        return answer.status, answer.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
