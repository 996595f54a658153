"""What each verb does to objects: the apiserver's generic registry rules, independent of HTTP.

- create: namespace from the URL, generateName, uid/creationTimestamp/generation, status dropped for kinds with a
  status subresource, 409 AlreadyExists, 404 for a missing namespace;
- update and patch: 409 Conflict on a stale resourceVersion, status isolation between the main resource and
  /status, generation bumped only when something outside metadata and status changes, no-op writes that keep the
  resourceVersion (so controllers do not wake themselves up);
- delete: preconditions, finalizers (deletionTimestamp first, removal once they are gone), propagation policy;
- field validation: unknown fields dropped (Ignore), dropped with a warning (Warn, the default), or 400 (Strict);
- kind-specific admission: Secret stringData, CRD names, APIService defaults and validation (aggregator.py).

Controllers and the seed call the same methods with `internal_options()`, which may write status through the main
resource, like a controller that owns it.
"""

import base64
import binascii
import copy
import json
import random
import re
import uuid
from dataclasses import dataclass, field

from . import errors
from .aggregator import APISERVICES, apiservice_causes, default_apiservice
from .clock import now_rfc3339
from .patch import json_patch, merge_patch, strategic_merge_patch
from .resources import resource_from_crd
from .selectors import DNS_SUBDOMAIN, valid_label_key, valid_label_value

PERMANENT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
ANNOTATIONS_LIMIT = 256 * 1024

_SYSTEM_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN_HELP = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                   "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_HELP = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
               "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
               "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_DNS1035_HELP = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                 "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                 "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
_LABEL_VALUE_HELP = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                     "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                     "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
_KEY_HELP = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
             "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
             "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
             "(e.g. 'example.com/MyName')")


@dataclass
class Options:
    """Per-request choices: field validation mode, dry run, and whether the caller is the server itself."""

    field_validation: str = ""
    dry_run: bool = False
    internal: bool = False
    warnings: list = field(default_factory=list)


def internal_options():
    """Options for the server's own writes (controllers, seed): status through the main resource, no field checks."""
    return Options(internal=True)


def _cause(field_path, message, reason="FieldValueInvalid"):
    return {"field": field_path, "message": message, "reason": reason}


def _initial_status(rt, status):
    """The status an object gets on create when clients may not set it (kinds with a status subresource)."""
    if rt.key == "/nodes":
        return status
    if rt.key == "/namespaces":
        return {"phase": "Active"}
    if rt.key in ("/pods", "/persistentvolumes", "/persistentvolumeclaims"):
        return {"phase": "Pending"}
    return None


def _spec_part(rt, obj):
    skip = {"metadata", "apiVersion", "kind"} | ({"status"} if rt.has_status else set())
    return {k: v for k, v in obj.items() if k not in skip}


def encode_continue(rv, last):
    raw = json.dumps({"rv": rv, "start": list(last)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token):
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), tuple(data["start"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise errors.bad_request(f"continue key is not valid: {token!r}") from None


def _metadata_type_problem(meta):
    """Why `meta` could not be decoded into an ObjectMeta (None when its fields have the right JSON types)."""
    if not isinstance(meta, dict):
        return "metadata must be an object"
    for key in ("name", "generateName", "namespace", "resourceVersion", "uid"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            return f"metadata.{key} must be a string"
    for key in ("labels", "annotations"):
        values = meta.get(key)
        if values is not None and (not isinstance(values, dict) or
                                   not all(isinstance(v, str) for v in values.values())):
            return f"metadata.{key} must map strings to strings"
    finalizers = meta.get("finalizers")
    if finalizers is not None and (not isinstance(finalizers, list) or
                                   not all(isinstance(f, str) for f in finalizers)):
        return "metadata.finalizers must be a list of strings"
    references = meta.get("ownerReferences")
    if references is not None and (not isinstance(references, list) or
                                   not all(isinstance(r, dict) for r in references)):
        return "metadata.ownerReferences must be a list of objects"
    return None


class Api:
    """Verbs over the store, for one registry of resource types."""

    def __init__(self, store, registry, schemas):
        self.store = store
        self.registry = registry
        self.schemas = schemas

    # --- reads -----------------------------------------------------------------------------------------------------

    def get(self, rt, namespace, name):
        obj = self.store.get(rt.key, namespace, name)
        if obj is None:
            raise errors.not_found(rt, name)
        return obj

    def list(self, rt, namespace, label_selector, field_selector, limit=0, continue_token="", resource_version="",
             resource_version_match=""):
        """(items, list resourceVersion, continue token, remaining item count) for a list request."""
        start = None
        with self.store.cond:
            current = self.store.rv
            if continue_token:
                rv, start = decode_continue(continue_token)
                items = self.store.snapshot(rt.key, rv, namespace)
            elif resource_version_match == "Exact" and resource_version not in ("", "0"):
                rv = self._requested_rv(resource_version, current)
                items = self.store.snapshot(rt.key, rv, namespace)
            else:
                if resource_version:
                    self._requested_rv(resource_version, current)
                rv, items = current, self.store.items(rt.key, namespace)
        if start:
            items = [o for o in items if (o["metadata"].get("namespace") or "", o["metadata"]["name"]) > start]
        items = [o for o in items if label_selector.matches(o["metadata"].get("labels"))
                 and field_selector.matches(o)]
        token, remaining = "", None
        if limit and len(items) > limit:
            last = items[limit - 1]["metadata"]
            token = encode_continue(rv, (last.get("namespace") or "", last["name"]))
            remaining = len(items) - limit
            items = items[:limit]
        return items, rv, token, remaining

    @staticmethod
    def _requested_rv(text, current):
        try:
            rv = int(text)
        except ValueError:
            raise errors.bad_request(f"invalid resource version: {text!r}") from None
        if rv > current:
            raise errors.timeout(f"Too large resource version: {rv}, current: {current}")
        return rv

    # --- create ----------------------------------------------------------------------------------------------------

    def create(self, rt, namespace, body, opts):
        obj = self._normalize(rt, namespace, body, url_name=None)
        meta = obj["metadata"]
        if meta.get("resourceVersion"):
            raise errors.internal("resourceVersion should not be set on objects to be created")
        if not meta.get("name") and not meta.get("generateName"):
            raise errors.invalid(rt, "", [_cause("metadata.name", "Required value: name or generateName is required",
                                                 "FieldValueRequired")])
        for key in _SYSTEM_META + ("managedFields", "selfLink"):
            meta.pop(key, None)
        if rt.has_status and not opts.internal:
            status = _initial_status(rt, obj.get("status"))
            obj.pop("status", None)
            if status is not None:
                obj["status"] = status
        obj = self._admit(rt, obj, opts)
        meta = obj["metadata"]
        with self.store.cond:
            if rt.namespaced:
                self._check_namespace(rt, namespace, meta.get("name") or meta.get("generateName"))
            if not meta.get("name"):
                meta["name"] = self._generate_name(rt, namespace, meta["generateName"])
            self._validate_name(rt, meta["name"])
            if self.store.get(rt.key, namespace if rt.namespaced else "", meta["name"]) is not None:
                raise errors.already_exists(rt, meta["name"])
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=now_rfc3339(), generation=1)
            self._on_create(rt, obj)
            if opts.dry_run:
                return obj
            stored = self.store.write(rt.key, obj, "ADDED")
            if rt.key == "apiextensions.k8s.io/customresourcedefinitions":
                self.registry.register_crd(stored)
            return stored

    def _generate_name(self, rt, namespace, prefix):
        for _ in range(100):
            name = prefix + "".join(random.choice(_NAME_CHARS) for _ in range(5))
            if self.store.get(rt.key, namespace if rt.namespaced else "", name) is None:
                return name
        raise errors.ApiError(409, "AlreadyExists", f"could not generate a unique name from {prefix!r}")

    def _check_namespace(self, rt, namespace, name):
        ns = self.store.get("/namespaces", "", namespace)
        if ns is None:
            raise errors.ApiError(404, "NotFound", f'namespaces "{namespace}" not found',
                                  {"name": namespace, "kind": "namespaces"})
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.forbidden(f'{rt.qualified} "{name}" is forbidden: unable to create new content in '
                                   f'namespace {namespace} because it is being terminated')

    def _on_create(self, rt, obj):
        if rt.key == "/namespaces":
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
        elif rt.key == "apiextensions.k8s.io/customresourcedefinitions":
            self._check_crd(rt, obj)
            spec = obj["spec"]
            version = resource_from_crd(obj).version
            obj["status"] = {
                "acceptedNames": spec["names"], "storedVersions": [version],
                "conditions": [{"type": t, "status": "True", "reason": r, "message": m,
                                "lastTransitionTime": now_rfc3339()}
                               for t, r, m in (("NamesAccepted", "NoConflicts", "no conflicts found"),
                                               ("Established", "InitialNamesAccepted",
                                                "the initial names have been accepted"))]}

    def _check_crd(self, rt, crd):
        name = crd["metadata"]["name"]
        try:
            served = resource_from_crd(crd)
        except (ValueError, TypeError, AttributeError, KeyError) as e:
            raise errors.invalid(rt, name, [_cause("spec", f"Invalid value: {e}")]) from None
        if name != served.crd_name:
            raise errors.invalid(rt, name, [_cause("metadata.name", f'Invalid value: "{name}": must be spec.names.'
                                                                    f'plural+"."+spec.group')])
        existing = self.registry.lookup(served.group, served.version, served.plural)
        if existing and not existing.is_custom:
            raise errors.invalid(rt, name, [_cause("spec.group", "Invalid value: the resource is built in")])

    # --- update and patch --------------------------------------------------------------------------------------------

    def update(self, rt, namespace, name, body, opts, subresource=""):
        new = self._normalize(rt, namespace, body, url_name=name)
        with self.store.cond:
            return self._replace(rt, self.get(rt, namespace, name), new, opts, subresource)

    def patch(self, rt, namespace, name, patch_type, patch_body, opts, subresource=""):
        with self.store.cond:
            current = self.get(rt, namespace, name)
            doc = copy.deepcopy(current)
            if patch_type == MERGE_PATCH:
                patched = merge_patch(doc, patch_body)
            elif patch_type == JSON_PATCH:
                patched = json_patch(doc, patch_body)
            elif patch_type == STRATEGIC_PATCH:
                patched = strategic_merge_patch(doc, patch_body)
            else:
                raise errors.unsupported_media_type([JSON_PATCH, MERGE_PATCH])
            if not isinstance(patched, dict) or not isinstance(patched.get("metadata"), dict):
                raise errors.unprocessable("the patched object is not a Kubernetes object")
            new = self._normalize(rt, namespace, patched, url_name=name)
            return self._replace(rt, current, new, opts, subresource)

    def mutate(self, rt, namespace, name, change):
        """Read-modify-write for the server's own controllers: `change(copy)` edits the copy in place."""
        with self.store.cond:
            current = self.store.get(rt.key, namespace, name)
            if current is None:
                return None
            doc = copy.deepcopy(current)
            change(doc)
            return self._replace(rt, current, doc, internal_options(), "")

    def _replace(self, rt, current, new, opts, subresource):
        cur_meta, new_meta = current["metadata"], new["metadata"]
        if new_meta.get("resourceVersion") and new_meta["resourceVersion"] != cur_meta["resourceVersion"]:
            raise errors.conflict(rt, cur_meta["name"])
        if new_meta.get("uid") and new_meta["uid"] != cur_meta["uid"]:
            raise errors.conflict(rt, cur_meta["name"], f"Precondition failed: UID in precondition: "
                                                        f"{new_meta['uid']}, UID in object meta: {cur_meta['uid']}")
        if subresource == "status":
            obj = {k: v for k, v in current.items() if k != "status"}
            obj["metadata"] = dict(cur_meta)
            if new.get("status") is not None:
                obj["status"] = new["status"]
        else:
            obj = dict(new)
            if rt.has_status and not opts.internal:
                obj.pop("status", None)
                if current.get("status") is not None:
                    obj["status"] = current["status"]
            meta = dict(new_meta)
            for key in _SYSTEM_META:
                meta.pop(key, None)
                if key in cur_meta:
                    meta[key] = cur_meta[key]
            meta.pop("managedFields", None)
            if cur_meta.get("deletionTimestamp"):
                added = [f for f in meta.get("finalizers") or [] if f not in (cur_meta.get("finalizers") or [])]
                if added:
                    raise errors.invalid(rt, cur_meta["name"], [_cause(
                        "metadata.finalizers", f"Forbidden: no new finalizers can be added if the object is being "
                                               f"deleted, found new finalizers {json.dumps(added)}",
                        "FieldValueForbidden")])
            obj["metadata"] = meta
        obj["metadata"]["resourceVersion"] = cur_meta["resourceVersion"]
        obj = self._admit(rt, obj, opts)
        if _spec_part(rt, obj) != _spec_part(rt, current):
            obj["metadata"]["generation"] = cur_meta.get("generation", 0) + 1
        if obj == current:
            return current
        if rt.key == "apiextensions.k8s.io/customresourcedefinitions" and subresource != "status":
            self._check_crd(rt, obj)
        if opts.dry_run:
            return obj
        if cur_meta.get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
            if rt.key == "/namespaces":  # the namespace controller finishes the removal
                return self.store.write(rt.key, obj, "MODIFIED")
            self.store.write(rt.key, obj, "MODIFIED")
            return self.remove(rt, cur_meta.get("namespace"), cur_meta["name"])
        stored = self.store.write(rt.key, obj, "MODIFIED")
        if rt.key == "apiextensions.k8s.io/customresourcedefinitions":
            self.registry.register_crd(stored)
        return stored

    # --- delete ----------------------------------------------------------------------------------------------------

    def delete(self, rt, namespace, name, delete_options, opts):
        delete_options = delete_options or {}
        with self.store.cond:
            current = self.get(rt, namespace, name)
            meta = current["metadata"]
            pre = delete_options.get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != meta["uid"]:
                raise errors.conflict(rt, name, f"Precondition failed: UID in precondition: {pre['uid']}, UID in "
                                                f"object meta: {meta['uid']}")
            if pre.get("resourceVersion") and pre["resourceVersion"] != meta["resourceVersion"]:
                raise errors.conflict(rt, name, f"Precondition failed: ResourceVersion in precondition: "
                                                f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                                                f"{meta['resourceVersion']}")
            if rt.key == "/namespaces" and name in PERMANENT_NAMESPACES:
                raise errors.forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                                       {"name": name, "kind": "namespaces"})
            policy = delete_options.get("propagationPolicy")
            if policy is None and delete_options.get("orphanDependents") is True:
                policy = "Orphan"
            if policy not in (None, "Background", "Foreground", "Orphan"):
                raise errors.bad_request(f"invalid propagationPolicy: {policy!r}")
            if rt.key == "/namespaces":
                return self._terminate_namespace(current, opts)
            finalizers = list(meta.get("finalizers") or [])
            if policy == "Foreground" and self.dependents(meta["uid"]) and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            if opts.dry_run:
                return current
            if policy == "Orphan":
                self._orphan(meta["uid"])
            if finalizers:
                if meta.get("deletionTimestamp"):
                    return current
                marked = {**current, "metadata": {**meta, "deletionTimestamp": now_rfc3339(),
                                                  "deletionGracePeriodSeconds": 0, "finalizers": finalizers,
                                                  "generation": meta.get("generation", 0) + 1}}
                return self.store.write(rt.key, marked, "MODIFIED")
            return self.remove(rt, namespace, name)

    def _terminate_namespace(self, current, opts):
        """Namespaces go Terminating; the namespace controller empties them and then removes them."""
        if current["metadata"].get("deletionTimestamp") or opts.dry_run:
            return current
        marked = {**current, "metadata": {**current["metadata"], "deletionTimestamp": now_rfc3339()},
                  "status": {**(current.get("status") or {}), "phase": "Terminating"}}
        return self.store.write("/namespaces", marked, "MODIFIED")

    def remove(self, rt, namespace, name):
        """Remove an object now, whatever its finalizers (the end of a deletion)."""
        final = self.store.remove(rt.key, namespace if rt.namespaced else "", name)
        if rt.key == "apiextensions.k8s.io/customresourcedefinitions":
            served = self.registry.by_key(f"{final['spec']['group']}/{final['spec']['names']['plural']}")
            if served is not None:
                for obj in self.store.items(served.key):
                    self.store.remove(served.key, obj["metadata"].get("namespace"), obj["metadata"]["name"])
            self.registry.unregister_crd(name)
        return final

    def delete_collection(self, rt, namespace, label_selector, field_selector, delete_options, opts):
        items, rv, _, _ = self.list(rt, namespace, label_selector, field_selector)
        deleted = []
        for obj in items:
            meta = obj["metadata"]
            try:
                deleted.append(self.delete(rt, meta.get("namespace"), meta["name"], delete_options, opts))
            except errors.ApiError as e:
                if e.code != 404:
                    raise
        return deleted, rv

    def dependents(self, uid):
        """(key, object) pairs whose ownerReferences name `uid`."""
        return [(key, obj) for key, obj in self.store.all_items()
                if any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])]

    def _orphan(self, uid):
        def drop_reference(doc):
            doc["metadata"]["ownerReferences"] = [r for r in doc["metadata"]["ownerReferences"]
                                                  if r.get("uid") != uid]

        for key, obj in self.dependents(uid):
            meta = obj["metadata"]
            self.mutate(self.registry.by_key(key), meta.get("namespace"), meta["name"], drop_reference)

    # --- admission -------------------------------------------------------------------------------------------------

    def _normalize(self, rt, namespace, body, url_name):
        """Body shape, apiVersion/kind, and the namespace and name the URL implies."""
        if not isinstance(body, dict):
            raise errors.bad_request(f"Object 'Kind' is missing in '{json.dumps(body)[:200]}'")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != rt.api_version:
            raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                     f"version ({rt.api_version})")
        if kind and kind != rt.kind:
            raise errors.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        meta = body.get("metadata")
        if meta is None:
            meta = {}
        problem = _metadata_type_problem(meta)
        if problem:
            raise errors.bad_request(self._undecodable(rt, problem))
        meta = dict(meta)
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if url_name is not None:
            if meta.get("name") and meta["name"] != url_name:
                raise errors.bad_request(f"the name of the object ({meta['name']}) does not match the name on the "
                                         f"URL ({url_name})")
            meta["name"] = url_name
        rest = {k: v for k, v in body.items() if k not in ("apiVersion", "kind", "metadata")}
        return {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": meta, **rest}

    @staticmethod
    def _undecodable(rt, why):
        return f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {why}'

    def field_validation(self, rt, requested):
        if requested:
            return requested
        return "Strict" if self.schemas.has_validator(rt) else "Warn"

    def _admit(self, rt, obj, opts):
        """Secret stringData, APIService defaults, unknown fields, metadata, APIService and optional schema
        validation."""
        name = obj["metadata"].get("name") or obj["metadata"].get("generateName") or ""
        if rt.key == "/secrets":
            obj = self._merge_string_data(rt, obj)
        if rt.key == APISERVICES:
            obj = default_apiservice(obj)
        mode = "Ignore" if opts.internal else self.field_validation(rt, opts.field_validation)
        obj, unknown = self.schemas.prune(rt, obj)
        if unknown and mode == "Strict":
            raise errors.bad_request(self._undecodable(
                rt, "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in unknown)))
        if unknown and mode == "Warn":
            opts.warnings.extend(f'unknown field "{p}"' for p in unknown)
        causes = self._metadata_causes(obj["metadata"])
        causes += self.schemas.validate(rt, obj)
        if rt.key == APISERVICES:
            causes += apiservice_causes(obj)
        if causes:
            raise errors.invalid(rt, name, causes)
        return obj

    def _merge_string_data(self, rt, obj):
        if not isinstance(obj.get("data") or {}, dict):
            raise errors.bad_request(self._undecodable(rt, "data must map keys to base64 strings"))
        data = dict(obj.get("data") or {})
        for key, value in data.items():
            try:
                base64.b64decode(value or "", validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise errors.bad_request(self._undecodable(rt, f"illegal base64 data in data[{key!r}]")) from None
        string_data = obj.get("stringData")
        if string_data:
            if not isinstance(string_data, dict) or not all(isinstance(v, str) for v in string_data.values()):
                raise errors.bad_request(self._undecodable(rt, "stringData must map strings to strings"))
            data.update({k: base64.b64encode(v.encode()).decode() for k, v in string_data.items()})
        obj = {k: v for k, v in obj.items() if k != "stringData"}
        if data or "data" in obj:
            obj["data"] = data
        return obj

    @staticmethod
    def _metadata_causes(meta):
        causes = []
        for key, value in (meta.get("labels") or {}).items():
            if not valid_label_key(key):
                causes.append(_cause("metadata.labels", f'Invalid value: "{key}": {_KEY_HELP}'))
            if not valid_label_value(value):
                causes.append(_cause("metadata.labels", f'Invalid value: "{value}": {_LABEL_VALUE_HELP}'))
        annotations = meta.get("annotations") or {}
        for key in annotations:
            if not valid_label_key(key):
                causes.append(_cause("metadata.annotations", f'Invalid value: "{key}": {_KEY_HELP}'))
        size = sum(len(k) + len(v) for k, v in annotations.items())
        if size > ANNOTATIONS_LIMIT:
            causes.append(_cause("metadata.annotations", f"Too long: must have at most {ANNOTATIONS_LIMIT} bytes",
                                 "FieldValueTooLong"))
        return causes

    def _validate_name(self, rt, name):
        if rt.key == "/namespaces":
            pattern, limit, help_text = _LABEL, 63, _LABEL_HELP
        elif rt.key == "/services":
            pattern, limit, help_text = _DNS1035, 63, _DNS1035_HELP
        else:
            pattern, limit, help_text = DNS_SUBDOMAIN, 253, _SUBDOMAIN_HELP
        messages = []
        if len(name) > limit:
            messages.append(f"must be no more than {limit} characters")
        if not pattern.fullmatch(name):
            messages.append(help_text)
        if messages:
            raise errors.invalid(rt, name, [_cause("metadata.name", f'Invalid value: "{name}": '
                                                                    + "; ".join(messages))])
