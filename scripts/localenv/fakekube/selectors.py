"""Label and field selectors with the apiserver's syntax and its error messages.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, comma-separated.
Field selectors: `f=v`, `f==v`, `f!=v` on the fields each kind supports; an unsupported field is a 400, because
a client that filters on it would otherwise silently get everything.
"""

import re

from . import errors

_LABEL_TOKEN = re.compile(r"\s*(!=|==|=|>|<|\(|\)|,|!|[^\s!=<>(),]+)")


class LabelSelector:
    """A parsed label selector; `matches(labels)` tests a labels dict."""

    def __init__(self, requirements):
        self.requirements = requirements

    @classmethod
    def parse(cls, text):
        text = (text or "").strip()
        if not text:
            return cls([])
        tokens, pos = [], 0
        while pos < len(text):
            m = _LABEL_TOKEN.match(text, pos)
            if not m or not m.group(1):
                if text[pos:].strip() == "":
                    break
                raise errors.bad_request(f"unable to parse requirement: invalid label selector: {text!r}")
            tokens.append(m.group(1))
            pos = m.end()
        return cls(_LabelParser(tokens, text).parse())

    def matches(self, labels):
        labels = labels or {}
        return all(_test(req, labels) for req in self.requirements)


class _LabelParser:
    def __init__(self, tokens, text):
        self.tokens, self.i, self.text = tokens, 0, text

    def fail(self, why):
        raise errors.bad_request(f"unable to parse requirement: {why} in label selector {self.text!r}")

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.i += 1
        return token

    def parse(self):
        requirements = []
        while True:
            requirements.append(self.requirement())
            token = self.take()
            if token is None:
                return requirements
            if token != ",":
                self.fail(f"found {token!r}, expected ','")

    def requirement(self):
        if self.peek() == "!":
            self.take()
            return ("!", self.key(), None)
        key = self.key()
        op = self.peek()
        if op in (None, ","):
            return ("exists", key, None)
        self.take()
        if op in ("=", "==", "!="):
            value = self.peek()
            if value in (None, ","):
                return (op if op != "==" else "=", key, "")
            return (op if op != "==" else "=", key, self.value())
        if op in (">", "<"):
            value = self.value()
            if not re.fullmatch(r"-?\d+", value):
                self.fail(f"for 'Gt', 'Lt' operators, the value must be an integer: {value!r}")
            return (op, key, int(value))
        if op in ("in", "notin"):
            if self.take() != "(":
                self.fail("expected '(' after set operator")
            values = []
            while True:
                token = self.take()
                if token == ")":
                    break
                if token == ",":
                    continue
                if token is None:
                    self.fail("missing ')'")
                _check_label_value(token, self)
                values.append(token)
            return (op, key, set(values))
        self.fail(f"found {op!r}, expected one of '=', '==', '!=', 'in', 'notin'")

    def key(self):
        token = self.take()
        if token is None or not valid_label_key(token):
            self.fail(f"invalid label key {token!r}")
        return token

    def value(self):
        token = self.take()
        _check_label_value(token, self)
        return token


def _check_label_value(value, parser):
    if value is None or not valid_label_value(value):
        parser.fail(f"invalid label value: {value!r}")


_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def valid_label_key(key):
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.fullmatch(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(_NAME_PART.fullmatch(name))


def valid_label_value(value):
    return value == "" or (len(value) <= 63 and bool(_NAME_PART.fullmatch(value)))


def _test(req, labels):
    op, key, value = req
    present = key in labels
    if op == "exists":
        return present
    if op == "!":
        return not present
    if op == "=":
        return present and labels[key] == value
    if op == "!=":
        return not present or labels[key] != value
    if op == "in":
        return present and labels[key] in value
    if op == "notin":
        return not present or labels[key] not in value
    try:
        number = int(labels[key]) if present else None
    except ValueError:
        return False
    return number is not None and (number > value if op == ">" else number < value)


# --- field selectors -----------------------------------------------------------------------------------------------

_EXTRA_FIELDS = {
    "/pods": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
              "status.phase", "status.podIP", "status.nominatedNodeName"},
    "/secrets": {"type"},
    "/namespaces": {"status.phase"},
    "/nodes": {"spec.unschedulable"},
    "/events": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type"},
    "events.k8s.io/events": {"regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
                             "reason", "reportingController", "type"},
}


class FieldSelector:
    """A parsed field selector for one resource type."""

    def __init__(self, requirements):
        self.requirements = requirements

    @classmethod
    def parse(cls, text, rt):
        requirements = []
        for part in (p.strip() for p in (text or "").split(",")):
            if not part:
                continue
            m = re.fullmatch(r"([^=!]+?)\s*(==|!=|=)\s*(.*)", part)
            if not m:
                raise errors.bad_request(f"invalid field selector: {part!r}")
            name, op, value = m.group(1), m.group(2), m.group(3)
            supported = {"metadata.name", "metadata.namespace"} | _EXTRA_FIELDS.get(rt.key, set())
            if name not in supported:
                if rt.is_custom:
                    raise errors.bad_request(
                        f'"{name}" is not a known field selector: only "metadata.name", "metadata.namespace"')
                raise errors.bad_request(f"field label not supported: {name}")
            requirements.append((name, op != "!=", value))
        return cls(requirements)

    def matches(self, obj):
        return all((_field_value(obj, name) == value) == equal for name, equal, value in self.requirements)


def _field_value(obj, path):
    value = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if path == "source" and isinstance(value, dict):
        return value.get("component", "")
    return "" if value is None else str(value)
