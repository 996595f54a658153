"""SigV4 for the requests the proxy edits.

When resources are in a state moto does not know, the proxy drops state filters from Describe requests and
evaluates them itself. Editing the body invalidates the client's signature, and a moto that checks signatures
(``scripts/moto-server --iam-users``) would refuse the edited request. With the same users file (``--credentials``)
the proxy first checks the client's signature over the bytes it sent, as AWS does, then signs the edited request
again with the same key, scope and time. A request whose signature does not check out is forwarded unedited, so
moto answers it as AWS would.
"""

from __future__ import annotations

import json

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .awsreq import AwsRequest


class Signer:
    def __init__(self, secrets: dict[str, str]):
        self.secrets = secrets

    @classmethod
    def load(cls, path: str) -> "Signer":
        with open(path) as handle:
            users = json.load(handle)
        return cls({user["accessKeyId"]: user["secretAccessKey"] for user in users})

    def resign(self, original: AwsRequest, edited: AwsRequest) -> str | None:
        """The Authorization header for `edited`, or None when `original`'s signature does not check out."""
        parts = _authorization(original.headers.get("authorization", ""))
        if parts is None:
            return None
        key, date, region, service, signed, signature = parts
        secret = self.secrets.get(key)
        amz_date = original.headers.get("x-amz-date")
        if secret is None or amz_date is None or not amz_date.startswith(date):
            return None
        auth = SigV4Auth(Credentials(key, secret, original.headers.get("x-amz-security-token")), service, region)
        if _signature(auth, original, signed, amz_date) != signature:
            return None
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
