"""Fault definitions and the error bodies the proxy sends.

A fault is armed through ``POST /__proxy/faults`` and matched against every
request by Action (or ``*``), optionally narrowed to a service or an account.
It fires for the next ``count`` matching calls, or with a ``probability``
(each fault has its own seeded RNG, so a given request order always gives the
same decisions), or for every matching call when neither is given.

A ``corrupt`` fault matches GetSnapshotBlock only and is fired by the EBS direct
APIs when they send a block: the data no longer matches its ``x-amz-Checksum``.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any

KINDS = ("error", "html", "reset", "truncate", "latency", "corrupt")

# Status and message used when the arming request leaves them out.
DEFAULT_STATUS = {
    "RequestLimitExceeded": 503,
    "InternalError": 500,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "Unavailable": 503,
    "UnauthorizedOperation": 403,
    "AuthFailure": 401,
    "AccessDenied": 403,
    "Throttling": 400,
    "ThrottlingException": 400,
    "ExpiredToken": 400,
    "InvalidClientTokenId": 403,
    "SignatureDoesNotMatch": 403,
    "RequestTimeout": 408,
    # EBS direct APIs (botocore's ebs model)
    "ValidationException": 400,
    "ResourceNotFoundException": 404,
    "AccessDeniedException": 403,
    "RequestThrottledException": 400,
    "InternalServerException": 500,
    "ServiceQuotaExceededException": 402,
    "ConcurrentLimitExceededException": 400,
    "ConflictException": 409,
}

DEFAULT_MESSAGE = {
    "RequestLimitExceeded": "Request limit exceeded.",
    "InternalError": "An internal error has occurred.",
    "InternalFailure": "An internal error has occurred.",
    "ServiceUnavailable": "The service is unavailable. Please try again shortly.",
    "Unavailable": "The server is overloaded and can't handle the request.",
    "UnauthorizedOperation": "You are not authorized to perform this operation.",
    "AuthFailure": "AWS was not able to validate the provided access credentials",
    "AccessDenied": "User is not authorized to perform this action.",
    "Throttling": "Rate exceeded",
    "InvalidParameterValue": "Value for parameter is invalid.",
    "IdempotentParameterMismatch": "The client token you have provided is associated with a "
    "resource that has different parameters.",
    "InternalServerException": "An internal error has occurred.",
    "RequestThrottledException": "The number of API requests has exceeded the maximum allowed API request "
    "throttling limit for the snapshot.",
}


def request_id() -> str:
    return str(uuid.uuid4())


def _x(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ec2_error_body(code: str, message: str, rid: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{_x(code)}</Code><Message>{_x(message)}</Message>"
        f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
    ).encode()


def query_error_body(code: str, message: str, rid: str, status: int, service: str | None) -> bytes:
    """STS/IAM style ``ErrorResponse`` (Sender for 4xx, Receiver for 5xx)."""
    xmlns = ' xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' if service in (None, "sts") else ""
    etype = "Receiver" if status >= 500 else "Sender"
    return (
        f"<ErrorResponse{xmlns}><Error><Type>{etype}</Type><Code>{_x(code)}</Code>"
        f"<Message>{_x(message)}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
    ).encode()


def json_error_body(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()


def rest_json_error_body(message: str, reason: str | None) -> bytes:
    """The body of an EBS direct APIs error: ``Message``, and ``Reason`` when the error has one."""
    return json.dumps({"Message": message, **({"Reason": reason} if reason else {})}).encode()


def error_response(style: str, code: str, message: str, status: int, service: str | None = None,
                   reason: str | None = None):
    """(status, headers, body) of an AWS error in the given style (`reason`: the EBS direct APIs' Reason)."""
    rid = request_id()
    if style == "rest-json":
        body = rest_json_error_body(message, reason)
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", rid),
        ]
    elif style == "json":
        body = json_error_body(code, message)
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", rid),
        ]
    elif style == "query":
        body = query_error_body(code, message, rid, status, service)
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)]
    else:
        body = ec2_error_body(code, message, rid)
        headers = [("Content-Type", "text/xml;charset=UTF-8"), ("x-amzn-RequestId", rid)]
    return status, headers, body


def html_body(status: int) -> bytes:
    reason = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Temporarily Unavailable",
        504: "Gateway Time-out",
    }.get(status, "Error")
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()


class FaultSpecError(ValueError):
    pass


class Fault:
    """One armed fault; all mutation happens under the proxy state lock."""

    def __init__(self, fid: int, spec: dict[str, Any], default_seed: int | None):
        if not isinstance(spec, dict):
            raise FaultSpecError("a fault must be a JSON object")
        known = {
            "action", "service", "account", "kind", "code", "message", "status", "count",
            "probability", "after", "ms", "min_ms", "max_ms", "seed", "mode", "body",
            "content_type", "when", "reason",
        }
        unknown = set(spec) - known
        if unknown:
            raise FaultSpecError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        self.id = fid
        self.action = str(spec.get("action", "*"))
        self.service = spec.get("service")
        self.account = spec.get("account")
        self.kind = spec.get("kind", "error")
        if self.kind not in KINDS:
            raise FaultSpecError(f"kind must be one of {', '.join(KINDS)}")
        self.code = str(spec.get("code", "InternalError"))
        status = spec.get("status")
        if status is None:
            status = 502 if self.kind == "html" else DEFAULT_STATUS.get(self.code, 400)
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise FaultSpecError("status must be an HTTP status code")
        self.status = status
        self.message = str(spec.get("message", DEFAULT_MESSAGE.get(self.code, self.code)))
        reason = spec.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise FaultSpecError("reason must be a string (the Reason of an EBS direct APIs error)")
        self.reason = reason
        count = spec.get("count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
            raise FaultSpecError("count must be a non-negative integer")
        self.count = count
        self.initial_count = count
        prob = spec.get("probability")
        if prob is not None:
            if not isinstance(prob, (int, float)) or isinstance(prob, bool) or not 0 <= prob <= 1:
                raise FaultSpecError("probability must be between 0 and 1")
            prob = float(prob)
        self.probability = prob
        self.after = bool(spec.get("after", False))
        if self.kind in ("latency", "corrupt") and self.after:
            raise FaultSpecError(f"a {self.kind} fault cannot be 'after'")
        self.mode = spec.get("mode", "close" if self.kind == "truncate" else "rst")
        if self.mode not in ("rst", "close"):
            raise FaultSpecError("mode must be 'rst' or 'close'")
        # "connect": drop new connections before any request is read
        self.when = spec.get("when", "request")
        if self.when not in ("request", "connect"):
            raise FaultSpecError("when must be 'request' or 'connect'")
        if self.when == "connect" and (self.kind != "reset" or self.action != "*" or self.after
                                       or self.service or self.account):
            raise FaultSpecError("a 'connect' fault must be kind reset with action '*' (nothing is read yet)")
        self.body = spec.get("body")
        self.content_type = spec.get("content_type", "text/html")
        # latency: ms as a number or [min, max], or min_ms/max_ms
        ms = spec.get("ms")
        lo = spec.get("min_ms")
        hi = spec.get("max_ms")
        if isinstance(ms, list) and len(ms) == 2:
            lo, hi = ms
        elif ms is not None:
            lo = hi = ms
        if self.kind == "latency":
            if lo is None:
                raise FaultSpecError("a latency fault needs 'ms' (number or [min, max])")
            if hi is None:
                hi = lo
        for v in (lo, hi):
            if v is not None and (not isinstance(v, (int, float)) or v < 0):
                raise FaultSpecError("latency must be a non-negative number of milliseconds")
        if lo is not None and hi is not None and hi < lo:
            raise FaultSpecError("max_ms must be >= min_ms")
        self.min_ms = lo
        self.max_ms = hi
        seed = spec.get("seed", default_seed)
        self.seed = seed
        self.rng = random.Random(seed) if seed is not None else random.Random()
        self.matched = 0
        self.fired = 0
        self.created_at = time.time()

    # -------------------------------------------------------------- matching
    def matches(self, req) -> bool:
        if self.kind == "corrupt" and req.key != "GetSnapshotBlock":
            return False  # only a block can be sent corrupted
        if self.service and self.service != req.service:
            return False
        if self.account and self.account != req.account_key:
            return False
        a = self.action
        if a == "*" or a == req.key:
            return True
        if ":" in a:  # "<service>:*" or "<service>:<Action>"
            svc, name = a.split(":", 1)
            return svc == req.service and (name == "*" or name == req.key)
        return False

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.count <= 0

    def try_fire(self) -> bool:
        self.matched += 1
        if self.exhausted:
            return False
        if self.probability is not None and self.rng.random() >= self.probability:
            return False
        self.fired += 1
        if self.count is not None:
            self.count -= 1
        return True

    def latency_seconds(self) -> float:
        lo = self.min_ms or 0
        hi = self.max_ms if self.max_ms is not None else lo
        ms = lo if hi == lo else self.rng.uniform(lo, hi)
        return ms / 1000.0

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "action": self.action,
            "kind": self.kind,
            "after": self.after,
            "count": self.initial_count,
            "remaining": self.count,
            "probability": self.probability,
            "matched": self.matched,
            "fired": self.fired,
            "exhausted": self.exhausted,
        }
        if self.service:
            d["service"] = self.service
        if self.account:
            d["account"] = self.account
        if self.kind in ("error", "html"):
            d["status"] = self.status
        if self.kind == "error":
            d["code"] = self.code
            d["message"] = self.message
            if self.reason:
                d["reason"] = self.reason
        if self.kind in ("reset", "truncate"):
            d["mode"] = self.mode
        if self.when != "request":
            d["when"] = self.when
        if self.min_ms is not None:
            d["min_ms"] = self.min_ms
            d["max_ms"] = self.max_ms
        if self.seed is not None:
            d["seed"] = self.seed
        return d
