"""OpenAPI v3 documents, so that kubectl's default `--validate=strict` works without `--validate=false`.

How kubectl 1.32 decides (seen with `kubectl create -f x.yaml -v=8`): it reads the `/openapi/v3` index, fetches
the document of the object's group version, and looks for PATCH operations tagged with the object's
`x-kubernetes-group-version-kind`. When such an operation declares the `fieldValidation` query parameter, kubectl
skips client-side validation and sends `?fieldValidation=Strict`, leaving unknown fields to the server (which
answers 400, see api.py). So every kind gets paths whose operations carry that parameter.

PATCH request bodies list only JSON patch and merge patch: without strategic merge in the document, `kubectl apply`
computes merge patches for custom resources and falls back to its compiled-in types for built-in kinds.

Schemas come from schemas.py (core/v1, KubeVirt, CRDs) with `$ref`s rewritten to `#/components/schemas/...`;
kinds without a schema get an open object. `kubectl explain` works for the kinds that have one.
"""

import hashlib
import json

from .schemas import OBJECT_META

_JSON = "application/json"
_PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json"]


def _query(name, description):
    return {"name": name, "in": "query", "description": description, "schema": {"type": "string",
                                                                                 "uniqueItems": True}}


_WRITE_PARAMS = [
    _query("dryRun", "When present, indicates that modifications should not be persisted."),
    _query("fieldManager", "fieldManager is a name associated with the actor or entity that is making these "
                           "changes."),
    _query("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request "
                              "containing unknown or duplicate fields: Ignore, Warn (default) or Strict."),
]
_LIST_PARAMS = [_query(n, n) for n in ("labelSelector", "fieldSelector", "limit", "continue", "resourceVersion",
                                       "resourceVersionMatch", "timeoutSeconds", "watch", "allowWatchBookmarks",
                                       "sendInitialEvents")]


def _schema_name(rt):
    if rt.group == "kubevirt.io":
        return f"v1.{rt.kind}"
    if not rt.group:
        return f"io.k8s.api.core.v1.{rt.kind}"
    reversed_group = ".".join(reversed(rt.group.split(".")))
    return f"{reversed_group}.{rt.version}.{rt.kind}"


def _convert(node):
    """A copy with `$ref`s pointing into components and nullable type lists reduced to their one type."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = "#/components/schemas/" + value.rsplit("/", 1)[-1]
        elif key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            out[key] = types[0] if len(types) == 1 else types
        elif key in ("$schema", "$defs", "definitions"):
            continue
        else:
            out[key] = _convert(value)
    return out


def _references(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                _references(value, found)
    elif isinstance(node, list):
        for value in node:
            _references(value, found)


def _closure(node, defs):
    """Names of the definitions `node` reaches through `$ref`s."""
    seen, pending = set(), set()
    _references(node, pending)
    while pending:
        name = pending.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        _references(defs[name], pending)
    return seen


class OpenAPI:
    """Builds and caches one document per group version; the cache follows the registry's generation."""

    def __init__(self, registry, schemas):
        self.registry = registry
        self.schemas = schemas
        self._cache = {}

    @staticmethod
    def _path_key(group, version):
        return f"apis/{group}/{version}" if group else f"api/{version}"

    def index(self):
        paths = {}
        for group, version in self.registry.group_versions():
            _, digest = self.document(group, version)
            key = self._path_key(group, version)
            paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
        return {"paths": paths}

    def document(self, group, version):
        """(serialized JSON bytes, hash) for a group version, or (None, None) when it is not served."""
        generation = self.registry.generation
        entry = self._cache.get((group, version, generation))
        if entry is None:
            types = self.registry.in_group_version(group, version)
            if not types:
                return None, None
            body = json.dumps(self._build(types), separators=(",", ":")).encode()
            entry = (body, hashlib.sha512(body).hexdigest().upper())
            cache = {k: v for k, v in self._cache.items() if k[2] == generation}
            cache[(group, version, generation)] = entry
            self._cache = cache
        return entry

    def _build(self, types):
        components, paths = {}, {}
        for rt in types:
            name = _schema_name(rt)
            components.update(self._component_schemas(rt, name))
            paths.update(self._paths(rt, f"#/components/schemas/{name}"))
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.4"}, "paths": paths,
                "components": {"schemas": components}}

    def _component_schemas(self, rt, name):
        gvk = [{"group": rt.group, "version": rt.version, "kind": rt.kind}]
        found = self.schemas.structural(rt)
        if found is None:
            root, defs = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}, {}
        else:
            root, defs = found
        root = dict(root)
        meta_defs = self.schemas.core_defs
        if OBJECT_META in meta_defs:
            root["properties"] = {**(root.get("properties") or {}),
                                  "metadata": {"$ref": f"#/components/schemas/{OBJECT_META}"}}
        result = {n: _convert(defs[n]) for n in _closure(root, defs)}
        result.update({n: _convert(meta_defs[n]) for n in _closure(root, meta_defs) if n not in result})
        result[name] = {**_convert(root), "x-kubernetes-group-version-kind": gvk}
        return result

    def _paths(self, rt, ref):
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
        obj = {"content": {_JSON: {"schema": {"$ref": ref}}}}

        def op(action, op_id, params=(), body_types=None, response=None):
            operation = {"operationId": f"{op_id}{rt.kind}", "tags": [rt.group or "core"],
                         "parameters": list(params), "x-kubernetes-action": action,
                         "x-kubernetes-group-version-kind": gvk,
                         "responses": {"200": {"description": "OK", **(response or obj)}}}
            if body_types:
                operation["requestBody"] = {"required": True,
                                            "content": {t: {"schema": {"$ref": ref}} for t in body_types}}
            return operation

        if not rt.storable:
            return {f"{prefix}/{rt.plural}": {"post": op("post", "create", _WRITE_PARAMS, [_JSON])}}
        collection = f"{prefix}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{prefix}/{rt.plural}"
        scope = [{"name": "namespace", "in": "path", "required": True, "schema": {"type": "string"}}] \
            if rt.namespaced else []
        name_param = [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]
        item = {"get": op("get", "read"), "put": op("put", "replace", _WRITE_PARAMS, [_JSON]),
                "patch": op("patch", "patch", _WRITE_PARAMS + [_query("force", "force")], _PATCH_TYPES),
                "delete": op("delete", "delete", _WRITE_PARAMS[:1]), "parameters": scope + name_param}
        paths = {
            collection: {"get": op("list", "list", _LIST_PARAMS), "post": op("post", "create", _WRITE_PARAMS, [_JSON]),
                         "delete": op("deletecollection", "deleteCollection", _LIST_PARAMS),
                         "parameters": scope},
            f"{collection}/{{name}}": item,
        }
        if rt.namespaced:
            paths[f"{prefix}/{rt.plural}"] = {"get": op("list", "listAllNamespaces", _LIST_PARAMS)}
        if rt.has_status:
            paths[f"{collection}/{{name}}/status"] = {
                "get": op("get", "readStatus"), "put": op("put", "replaceStatus", _WRITE_PARAMS, [_JSON]),
                "patch": op("patch", "patchStatus", _WRITE_PARAMS, _PATCH_TYPES), "parameters": scope + name_param}
        if "log" in rt.subresources:
            paths[f"{collection}/{{name}}/log"] = {
                "get": op("get", "readLog", [_query("container", "container"), _query("tailLines", "tailLines")],
                          response={"content": {"text/plain": {"schema": {"type": "string"}}}}),
                "parameters": scope + name_param}
        return paths
