"""The control API under `/__fake/` (JSON, no authentication): what tests use to steer the fake cluster.

    POST   /__fake/faults          {"method": "PUT", "path": "^/apis/forklift.konveyor.io/", "status": 409,
                                    "count": 1, "reason": "...", "message": "...", "retryAfter": 1,
                                    "verb": "update", "resource": "plans/status", "namespace": "ns", "name": "x",
                                    "delay": 0.5, "reset": false, "bodyName": "x", "bodyContains": "text"}
           The next `count` (default 1; -1 = until cleared) API requests that match every given field get an error
           Status with that code (429 adds Retry-After), after `delay` seconds; with `reset` the connection is
           closed without an answer; `delay` alone only slows requests down. `path` is a regex matched at the
           start of the URL path, so a plain prefix works; `bodyName` matches the metadata.name of the request
           body (a create names its object there), `bodyContains` any text of the body (a TokenReview's token).
           Answers {"id": N}.
    GET    /__fake/faults          the armed faults        DELETE /__fake/faults      clear them
    DELETE /__fake/faults/N        disarm fault N only (tests that share the server clear only their own)
    GET    /__fake/watches         open watch streams
    POST   /__fake/drop-watches    {"path": "regex"} (optional): close open watch streams; answers {"dropped": N}
    GET    /__fake/requests        {"counts": {"list plans.forklift.konveyor.io": 3, ...}, "total": N,
                                    "log": [{method, path, query, verb, resource, namespace, name, code, user}]}
    POST   /__fake/requests/reset  zero the counters and the log
    POST   /__fake/pods/fail       {"namespace": "ns", "namePrefix": "conv-", "labelSelector": "a=b",
                                    "exitCode": 1, "log": "text", "reason": "Error", "count": N (default: all)}
                                   matching Pods finish Failed with that exit code and log instead of Succeeded
                                   (exitCode 0: they succeed, with that log)
    DELETE /__fake/pods/fail       disarm all pod failure rules
    GET    /__fake/config          POST /__fake/config {"podDelay": 2, "podStartDelay": 0.5, "vmStartDelay": 0.5,
                                    "bookmarkInterval": 1, "watchHistory": 1000}
    POST   /__fake/compact         drop the watch history: older resourceVersions now get 410 Expired
    GET    /__fake/objects         every stored object by resource; ?resource=plans.forklift.konveyor.io and
                                   ?namespace=ns narrow it
    POST   /__fake/endpoints       {"namespace": "openshift-mtv", "name": "mtv-inventory", "port": 8443,
                                    "address": "127.0.0.1:9443"}: where that Service port is reachable (port
                                   defaults to 443; the same as --service-endpoint). APIServices naming the
                                   Service are proxied there (aggregator.py) and re-checked at once
    GET    /__fake/endpoints       {"endpoints": [{namespace, name, port, address}, ...]}
    DELETE /__fake/endpoints       {"namespace", "name", "port"} (each optional): remove the matching endpoints
                                   (all of them without a body); answers {"removed": N}
"""

import re
import threading
import time
from collections import Counter, deque

from . import errors


class Fault:
    """One armed fault and what it matches."""

    def __init__(self, fault_id, spec):
        self.id = fault_id
        self.spec = spec
        self.method = (spec.get("method") or "").upper()
        self.path = re.compile(spec["path"]) if spec.get("path") else None
        self.remaining = int(spec.get("count", 1))
        self.code = spec.get("status")
        if self.code is not None:
            self.code = int(self.code)
            if not 400 <= self.code <= 599:
                raise ValueError("status must be an HTTP error code (400-599)")
        self.delay = float(spec.get("delay", 0))
        self.reset = bool(spec.get("reset", False))
        if self.code is None and not self.delay and not self.reset:
            raise ValueError("a fault needs status, delay or reset")

    def matches(self, info, body_name=None, body=b""):
        spec = self.spec
        resource = f"{info.plural}/{info.subresource}" if info.subresource else info.plural
        return ((not self.method or self.method == info.method)
                and (self.path is None or self.path.match(info.path))
                and (not spec.get("verb") or spec["verb"] == info.verb)
                and (not spec.get("resource") or spec["resource"] == resource)
                and (not spec.get("namespace") or spec["namespace"] == info.namespace)
                and (not spec.get("name") or spec["name"] == info.name)
                and (not spec.get("bodyName") or spec["bodyName"] == body_name)
                and (not spec.get("bodyContains") or spec["bodyContains"].encode() in (body or b"")))

    def error(self, rt, info):
        """The ApiError this fault answers with, worded like the real one for that code."""
        code, spec = self.code, self.spec
        reason = spec.get("reason") or errors.REASON_FOR_CODE.get(code, "InternalError")
        if code == 429:
            retry = int(spec.get("retryAfter", 1))
            error = errors.too_many_requests(spec.get("message") or "the server has received too many requests "
                                                                    "and has asked us to try again later", retry)
            error.reason = reason
            return error
        if code == 409 and rt is not None and info.name and not spec.get("message"):
            error = errors.conflict(rt, info.name)
            error.reason = reason
            return error
        message = spec.get("message") or {500: "Internal error occurred: injected fault",
                                          503: "the server is currently unable to handle the request"}.get(
            code, f"injected fault ({code})")
        headers = {"Retry-After": str(spec["retryAfter"])} if spec.get("retryAfter") else None
        return errors.ApiError(code, reason, message, headers=headers)

    def describe(self):
        return {"id": self.id, "remaining": self.remaining, **self.spec}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._next_id = 1

    def add(self, spec):
        with self._lock:
            fault = Fault(self._next_id, spec)
            self._next_id += 1
            self._faults.append(fault)
            return fault.id

    def clear(self):
        with self._lock:
            self._faults.clear()

    def remove(self, fault_id):
        """Disarms one fault; False when it is not armed (used up or never added)."""
        with self._lock:
            kept = [f for f in self._faults if f.id != fault_id]
            removed = len(kept) != len(self._faults)
            self._faults = kept
            return removed

    def describe(self):
        with self._lock:
            return [f.describe() for f in self._faults]

    def take(self, info, body_name=None, body=b""):
        """The first fault matching the request, consuming one of its uses."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(info, body_name, body):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None


class RequestStats:
    """Counts of API requests by `verb resource`, and the most recent requests."""

    def __init__(self, log_size=2000):
        self._lock = threading.Lock()
        self._counts = Counter()
        self._log = deque(maxlen=log_size)

    def record(self, info, query, code, user):
        with self._lock:
            self._counts[info.counter_key()] += 1
            self._log.append({"time": time.time(), "method": info.method, "path": info.path, "query": query,
                              "verb": info.verb, "resource": info.plural, "subresource": info.subresource,
                              "namespace": info.namespace, "name": info.name, "code": code, "user": user})

    def snapshot(self):
        with self._lock:
            return {"counts": dict(self._counts), "total": sum(self._counts.values()), "log": list(self._log)}

    def reset(self):
        with self._lock:
            self._counts.clear()
            self._log.clear()


class Control:
    """Dispatches `/__fake/...` requests; answers (status code, JSON body)."""

    def __init__(self, app):
        self.app = app

    def handle(self, method, path, query, body):
        route = (method, path.rstrip("/"))
        app = self.app
        try:
            if route == ("POST", "/__fake/faults"):
                return 201, {"id": app.faults.add(body or {})}
            if route == ("GET", "/__fake/faults"):
                return 200, {"faults": app.faults.describe()}
            if route == ("DELETE", "/__fake/faults"):
                app.faults.clear()
                return 200, {"cleared": True}
            if method == "DELETE" and re.fullmatch(r"/__fake/faults/\d+", route[1]):
                fault_id = int(route[1].rsplit("/", 1)[1])
                if not app.faults.remove(fault_id):
                    return 404, {"error": f"fault {fault_id} is not armed"}
                return 200, {"removed": fault_id}
            if route == ("GET", "/__fake/watches"):
                return 200, {"watches": app.watches.describe()}
            if route == ("POST", "/__fake/drop-watches"):
                return 200, {"dropped": app.watches.drop((body or {}).get("path"))}
            if route == ("GET", "/__fake/requests"):
                return 200, app.stats.snapshot()
            if route == ("POST", "/__fake/requests/reset"):
                app.stats.reset()
                return 200, {"reset": True}
            if route == ("POST", "/__fake/pods/fail"):
                app.outcomes.arm(body or {})
                return 201, {"armed": True}
            if route == ("DELETE", "/__fake/pods/fail"):
                app.outcomes.clear()
                return 200, {"cleared": True}
            if route == ("GET", "/__fake/config"):
                return 200, self._config()
            if route == ("POST", "/__fake/config"):
                values = dict(body or {})
                history = values.pop("watchHistory", None)
                app.settings.update(values)
                if history is not None:
                    app.store.set_history_limit(history)
                return 200, self._config()
            if route == ("POST", "/__fake/compact"):
                app.store.compact()
                return 200, {"compactedResourceVersion": str(app.store.compacted_rv)}
            if route == ("GET", "/__fake/objects"):
                return 200, self._objects(query)
            if route == ("POST", "/__fake/endpoints"):
                return 201, {"endpoint": app.aggregator.endpoints.add(body or {})}
            if route == ("GET", "/__fake/endpoints"):
                return 200, {"endpoints": app.aggregator.endpoints.describe()}
            if route == ("DELETE", "/__fake/endpoints"):
                return 200, {"removed": app.aggregator.endpoints.remove(body or {})}
        except (ValueError, TypeError, KeyError, re.error) as e:
            return 400, {"error": str(e)}
        except errors.ApiError as e:
            return e.code, e.status()
        return 404, {"error": f"no control endpoint {method} {path}"}

    def _config(self):
        return {**self.app.settings.to_json(), "watchHistory": self.app.store.history_limit}

    def _objects(self, query):
        wanted, namespace = query.get("resource"), query.get("namespace") or None
        result = {}
        for rt in self.app.registry.all():
            if not rt.storable or (wanted and wanted not in (rt.qualified, rt.plural)):
                continue
            items = self.app.store.items(rt.key, namespace)
            if items:
                result[rt.qualified] = items
        return {"resourceVersion": str(self.app.store.rv), "objects": result}
