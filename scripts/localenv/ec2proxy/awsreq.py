"""Parsing of the AWS requests that pass through the proxy.

Works out, without any AWS library, what a request is: the query-protocol
``Action`` (form body or query string), the service and region from the SigV4
credential scope, the moto account header, and the parameters as an ordered
list so that they can be re-encoded after an edit.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

_SCOPE_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")
_QUERY_SCOPE_RE = re.compile(r"^([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request$")

# Actions that, when the credential scope is missing, still identify STS.
STS_ACTIONS = frozenset(
    {
        "GetCallerIdentity",
        "AssumeRole",
        "AssumeRoleWithWebIdentity",
        "AssumeRoleWithSAML",
        "GetSessionToken",
        "GetFederationToken",
        "GetAccessKeyInfo",
        "DecodeAuthorizationMessage",
    }
)

# Resource id shapes the proxy tracks (instances, volumes, snapshots).
RESOURCE_ID_RE = re.compile(r"^(?:i|vol|snap)-[0-9a-f]{8,32}$")

# Parameters worth recording in the call log.
_INTERESTING_PARAM_RE = re.compile(
    r"^(?:InstanceId|VolumeId|SnapshotId|SourceSnapshotId|ImageId|ClientToken|ResourceId|"
    r"InstanceSpecification\.InstanceId|Device|AvailabilityZone|VolumeType|Size|"
    r"SourceRegion|Attribute|OperationType|UserId|MaxResults|NextToken|"
    r"SecondSnapshotId|FirstSnapshotId|BlockIndex|StartingBlockIndex)(?:\.\d+)?$"
)

# The EBS direct APIs the proxy answers itself (REST-JSON, GET): path pattern -> (action, path parameter names).
EBS_ROUTES = (
    (re.compile(r"^/snapshots/([^/]+)/blocks/?$"), "ListSnapshotBlocks", ("SnapshotId",)),
    (re.compile(r"^/snapshots/([^/]+)/changedblocks/?$"), "ListChangedBlocks", ("SecondSnapshotId",)),
    (re.compile(r"^/snapshots/([^/]+)/blocks/([^/]+)/?$"), "GetSnapshotBlock", ("SnapshotId", "BlockIndex")),
)
# Their query string members, by the names the API reference gives them.
EBS_QUERY = {"maxResults": "MaxResults", "pageToken": "NextToken", "startingBlockIndex": "StartingBlockIndex",
             "firstSnapshotId": "FirstSnapshotId", "blockToken": "BlockToken"}


@dataclass
class AwsRequest:
    method: str
    path: str  # path without the query string
    query: str  # raw query string ('' when absent)
    headers: dict[str, str]  # lower-case names -> value (last one wins)
    body: bytes
    params: list[tuple[str, str]] = field(default_factory=list)
    form_body: bool = False  # params came (partly) from an urlencoded body
    action: str | None = None
    target: str | None = None  # X-Amz-Target (JSON protocols)
    service: str | None = None
    region: str | None = None
    account: str | None = None  # x-moto-account-id header
    protocol: str | None = None  # "rest-json" for the EBS direct APIs the proxy answers itself

    # ------------------------------------------------------------------ helpers
    @property
    def key(self) -> str:
        """Name used for counters, fault matching and the call log."""
        if self.action:
            return self.action
        if self.target:
            return self.target.rsplit(".", 1)[-1]
        first = self.path.strip("/").split("/", 1)[0]
        return f"{self.service or 'unknown'}:{self.method} /{first}"

    @property
    def account_key(self) -> str:
        return self.account or "default"

    @property
    def is_sts(self) -> bool:
        if self.service:
            return self.service == "sts"
        return self.action in STS_ACTIONS

    @property
    def error_style(self) -> str:
        """'ec2' (Response/Errors envelope), 'query' (ErrorResponse), 'json' or 'rest-json' (EBS direct APIs)."""
        if self.protocol == "rest-json":
            return "rest-json"
        if self.action:
            if self.service in (None, "ec2"):
                return "query" if self.is_sts else "ec2"
            return "query"
        if self.target or self.service not in (None, "ec2"):
            return "json"
        return "ec2"

    @property
    def ebs_direct(self) -> bool:
        """One of the EBS direct API reads the proxy answers itself (never forwarded to moto)."""
        return self.protocol == "rest-json" and self.service == "ebs"

    @property
    def mutating(self) -> bool:
        k = self.key
        return not (k.startswith("Describe") or k.startswith("Get") or k.startswith("List"))

    def param(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.params:
            if k == name:
                return v
        return default

    def params_dict(self) -> dict[str, str]:
        return dict(self.params)

    def interesting_params(self) -> dict[str, str]:
        return {k: v for k, v in self.params if _INTERESTING_PARAM_RE.match(k)}

    def filters(self) -> list[tuple[str, list[str]]]:
        """Filter.N.Name / Filter.N.Value.M as [(name, [values])] in N order."""
        names: dict[int, str] = {}
        values: dict[int, list[tuple[int, str]]] = {}
        for k, v in self.params:
            m = re.match(r"^Filter\.(\d+)\.Name$", k)
            if m:
                names[int(m.group(1))] = v
                continue
            m = re.match(r"^Filter\.(\d+)\.Value\.(\d+)$", k)
            if m:
                values.setdefault(int(m.group(1)), []).append((int(m.group(2)), v))
        out = []
        for n in sorted(names):
            out.append((names[n], [v for _, v in sorted(values.get(n, []))]))
        return out

    def resource_ids(self) -> set[str]:
        return {v for _, v in self.params if RESOURCE_ID_RE.match(v)}

    def without_filters(self, drop: set[str]) -> "AwsRequest":
        """A copy whose Filter.N entries named in ``drop`` are removed and the
        others renumbered 1..k (moto stops reading at the first gap)."""
        keep_order: list[int] = []
        dropped: set[int] = set()
        for k, v in self.params:
            m = re.match(r"^Filter\.(\d+)\.Name$", k)
            if m:
                n = int(m.group(1))
                if v in drop:
                    dropped.add(n)
                else:
                    keep_order.append(n)
        renumber = {old: i + 1 for i, old in enumerate(sorted(keep_order))}
        new_params: list[tuple[str, str]] = []
        for k, v in self.params:
            m = re.match(r"^Filter\.(\d+)\.(.*)$", k)
            if m:
                n = int(m.group(1))
                if n in dropped:
                    continue
                if n in renumber:
                    k = f"Filter.{renumber[n]}.{m.group(2)}"
            new_params.append((k, v))
        clone = AwsRequest(**{**self.__dict__})
        clone.params = new_params
        # Form bodies as botocore writes them ('+' for a space, which is also how moto re-encodes a form before it
        # checks a signature); query strings as SigV4 canonicalises them.
        if self.form_body:
            clone.body = urllib.parse.urlencode(new_params).encode()
        else:
            clone.query = urllib.parse.urlencode(new_params, quote_via=urllib.parse.quote)
        return clone

    @property
    def path_with_query(self) -> str:
        return self.path + ("?" + self.query if self.query else "")


def parse_request(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> AwsRequest:
    path, _, query = raw_path.partition("?")
    req = AwsRequest(method=method, path=path, query=query, headers=headers, body=body)
    params: list[tuple[str, str]] = []
    if query:
        params.extend(urllib.parse.parse_qsl(query, keep_blank_values=True))
    ctype = headers.get("content-type", "").lower()
    if body and ctype.startswith("application/x-www-form-urlencoded"):
        try:
            params.extend(
                urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            )
            req.form_body = True
        except ValueError:
            pass
    req.params = params
    req.action = req.param("Action")
    req.target = headers.get("x-amz-target")
    req.account = headers.get("x-moto-account-id")
    m = _SCOPE_RE.search(headers.get("authorization", ""))
    if m:
        req.region, req.service = m.group(3), m.group(4)
    else:
        cred = req.param("X-Amz-Credential")
        m2 = _QUERY_SCOPE_RE.match(cred or "")
        if m2:
            req.region, req.service = m2.group(3), m2.group(4)
    if method == "GET" and req.service in (None, "ebs"):
        _ebs_route(req)
    return req


def _ebs_route(req: AwsRequest) -> None:
    """Names an EBS direct API read by its path; its parameters become the ones the API reference names."""
    for pattern, action, names in EBS_ROUTES:
        m = pattern.match(req.path)
        if m is None:
            continue
        req.action, req.protocol, req.service = action, "rest-json", "ebs"
        req.region = req.region or "us-east-1"  # an unsigned call (no --credentials) has no scope
        params = [(name, urllib.parse.unquote(value)) for name, value in zip(names, m.groups())]
        params.extend((EBS_QUERY[k], v) for k, v in urllib.parse.parse_qsl(req.query, keep_blank_values=True)
                      if k in EBS_QUERY)
        req.params = params
        return
