"""Turn a request path and method into API terms: resource, namespace, name, subresource and verb.

Routing, authorization, fault matching and request counting all use this one parse, so they agree on what a
request is. Paths follow the apiserver's layout:
`/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{sub}]]` and the same under `/apis/{group}/{version}`; the legacy
`/watch/` segment is accepted too.
"""

from dataclasses import dataclass

from .auth import Attributes

_CLUSTER_SUBRESOURCES_OF_NAMESPACES = ("status", "finalize")


@dataclass
class RequestInfo:
    path: str
    method: str
    group: str = ""
    version: str = ""
    plural: str = ""
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    verb: str = ""
    watch_path: bool = False  # the legacy /watch/ form
    api_prefix: bool = False  # under /api or /apis

    @property
    def is_resource(self):
        return bool(self.plural)

    def attributes(self):
        return Attributes(verb=self.verb, group=self.group, resource=self.plural, subresource=self.subresource,
                          namespace=self.namespace, name=self.name, path=self.path)

    def counter_key(self):
        """`verb resource[/subresource]`, with resource spelled `plural.group` (the core group has no suffix)."""
        if not self.is_resource:
            return f"{self.method} {self.path}"
        resource = f"{self.plural}/{self.subresource}" if self.subresource else self.plural
        return f"{self.verb} {resource}.{self.group}" if self.group else f"{self.verb} {resource}"


def _verb(method, has_name, watch):
    if method in ("GET", "HEAD"):
        if watch:
            return "watch"
        return "get" if has_name else "list"
    if method == "DELETE":
        return "delete" if has_name else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())


def parse(path, method, query):
    """A RequestInfo; `is_resource` is False for discovery and other non-resource paths."""
    info = RequestInfo(path=path, method=method)
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        info.version, rest = parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        info.group, info.version, rest = parts[1], parts[2], parts[3:]
    else:
        return info
    info.api_prefix = True
    if rest[:1] == ["watch"]:
        info.watch_path, rest = True, rest[1:]
    if not rest:
        return info
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in _CLUSTER_SUBRESOURCES_OF_NAMESPACES:
        info.namespace, rest = rest[1], rest[2:]
    info.plural = rest[0]
    info.name = rest[1] if len(rest) > 1 else ""
    info.subresource = "/".join(rest[2:])
    watch = info.watch_path or query.get("watch", "") in ("true", "1")
    info.verb = _verb(method, bool(info.name), watch)
    return info
