"""SigV4 for the requests the proxy edits.

When resources are in a state moto does not know, the proxy drops state filters from Describe requests and
evaluates them itself. Editing the body invalidates the client's signature, and a moto that checks signatures
(``scripts/moto-server --iam-users``) would refuse the edited request. With the same users file (``--credentials``)
the proxy first checks the client's signature over the bytes it sent, as AWS does, then signs the edited request
again with the same key, scope and time. A request whose signature does not check out is forwarded unedited, so
moto answers it as AWS would.

The same key serves the questions the proxy asks moto itself (a copy's size, a volume's size, whether the caller of
an EBS direct API call may read a snapshot): they are signed as the caller for EC2, with the caller's key, after the
caller's own signature checked out. The EBS direct APIs, which the proxy answers itself, are verified here too.
"""

from __future__ import annotations

import json

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .awsreq import AwsRequest


class Signer:
    def __init__(self, secrets: dict[str, str], accounts: dict[str, str] | None = None):
        self.secrets = secrets
        self.accounts = accounts or {}

    @classmethod
    def load(cls, path: str) -> "Signer":
        with open(path) as handle:
            users = json.load(handle)
        return cls({user["accessKeyId"]: user["secretAccessKey"] for user in users},
                   {user["accessKeyId"]: str(user["account"]) for user in users if "account" in user})

    def verify(self, req: AwsRequest) -> tuple[str | None, str | None]:
        """(access key ID, None) when `req`'s SigV4 header checks out, else (key or None, why not): ``missing`` (no
        header), ``unknown-key`` or ``mismatch`` (another signature, or a date outside the credential scope)."""
        parts = _authorization(req.headers.get("authorization", ""))
        if parts is None:
            return None, "missing"
        key, date, region, service, signed, signature = parts
        secret = self.secrets.get(key)
        if secret is None:
            return key, "unknown-key"
        amz_date = req.headers.get("x-amz-date")
        if amz_date is None or not amz_date.startswith(date):
            return key, "mismatch"
        auth = SigV4Auth(Credentials(key, secret, req.headers.get("x-amz-security-token")), service, region)
        return (key, None) if _signature(auth, req, signed, amz_date) == signature else (key, "mismatch")

    def resign(self, original: AwsRequest, edited: AwsRequest, service: str | None = None) -> str | None:
        """The Authorization header for `edited` (for `service`, default the original's), or None when `original`'s
        signature does not check out."""
        parts = _authorization(original.headers.get("authorization", ""))
        if parts is None or self.verify(original)[1] is not None:
            return None
        key, date, region, scope_service, signed, _ = parts
        service = service or scope_service
        amz_date = original.headers["x-amz-date"]
        auth = SigV4Auth(Credentials(key, self.secrets[key], original.headers.get("x-amz-security-token")), service,
                         region)
        new = _signature(auth, edited, signed, amz_date)
        return (f"AWS4-HMAC-SHA256 Credential={key}/{date}/{region}/{service}/aws4_request, "
                f"SignedHeaders={';'.join(signed)}, Signature={new}")


def _authorization(header: str):
    """(key, date, region, service, signed header names, signature) of a SigV4 Authorization header."""
    if not header.startswith("AWS4-HMAC-SHA256 "):
        return None
    fields = {}
    for item in header[len("AWS4-HMAC-SHA256 "):].split(","):
        name, _, value = item.strip().partition("=")
        fields[name] = value
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or "SignedHeaders" not in fields or "Signature" not in fields:
        return None
    return scope[0], scope[1], scope[2], scope[3], fields["SignedHeaders"].split(";"), fields["Signature"]


def _signature(auth: SigV4Auth, req: AwsRequest, signed: list[str], amz_date: str) -> str:
    headers = {name: value for name, value in req.headers.items() if name in signed}
    request = AWSRequest(method=req.method, url=req.path_with_query, data=req.body, headers=headers)
    request.context["timestamp"] = amz_date
    canonical = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical), request)
