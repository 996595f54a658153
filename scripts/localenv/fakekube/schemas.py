"""Object schemas: unknown-field detection (fieldValidation) and optional JSON-schema validation.

Sources, all under the shared schemas folder (see its SOURCES.md):
- core/v1 Pod, PersistentVolume, PersistentVolumeClaim, Secret, Node and ObjectMeta: `core-v1/...strict.schema.json`;
- KubeVirt VirtualMachine and VirtualMachineInstance: `kubevirt/swagger.json`;
- custom resources: the openAPIV3Schema of their CRD (Forklift's come from the upstream CRD files);
- protobuf request bodies: the generated.proto files in `protobuf/` (see protobuf.py).

Unknown fields are found by walking an object alongside its schema, the way the apiserver prunes custom resources
and strictly decodes built-in ones; kinds without a schema accept any field. Full validation (types, required
fields, enums) needs the optional `jsonschema` package and is only done with `--validate-schemas`.
"""

import json
import logging
import os

from .protobuf import ProtoSchemas

try:  # optional: the server runs without it, only --validate-schemas needs it
    import jsonschema
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema = None

log = logging.getLogger("fakekube")

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
CORE_KINDS = {"Pod", "PersistentVolume", "PersistentVolumeClaim", "Secret", "Node"}
KUBEVIRT_KINDS = {"VirtualMachine": "v1.VirtualMachine", "VirtualMachineInstance": "v1.VirtualMachineInstance"}
INT_OR_STRING = "k8s.io.apimachinery.pkg.util.intstr.IntOrString"


def schemas_problem(directory):
    """Why bodies cannot be validated against `directory` (None when they can): validation never turns itself off."""
    if jsonschema is None:
        return "the jsonschema package is not importable (pip install -r requirements-dev.txt)"
    core = os.path.join(directory, "core-v1", "core-v1.32-strict.schema.json")
    if not os.path.exists(core):
        return f"{core} does not exist (the schemas are in ../shared/schemas beside the clone)"
    return None


def _load(path):
    if not os.path.exists(path):
        log.warning("schema file %s not found; objects it describes are not checked", path)
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _resolve(node, defs):
    """Follow `$ref`s (`#/$defs/X` or `#/definitions/X`) within `defs`."""
    while isinstance(node, dict) and "$ref" in node:
        node = defs.get(node["$ref"].rsplit("/", 1)[-1])
    return node


def _properties(node, defs):
    props = dict(node.get("properties") or {})
    for member in node.get("allOf") or []:
        props.update((_resolve(member, defs) or {}).get("properties") or {})
    return props


def _prune(value, node, defs, path, unknown):
    node = _resolve(node, defs)
    if not isinstance(node, dict) or node.get("x-kubernetes-preserve-unknown-fields"):
        return value
    if isinstance(value, dict):
        props = _properties(node, defs)
        extra = node.get("additionalProperties")
        if not props:
            if isinstance(extra, dict):
                return {k: _prune(v, extra, defs, f"{path}.{k}" if path else k, unknown) for k, v in value.items()}
            return value
        pruned = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in props:
                pruned[key] = _prune(item, props[key], defs, where, unknown)
            elif isinstance(extra, dict):
                pruned[key] = _prune(item, extra, defs, where, unknown)
            elif extra is True:
                pruned[key] = item
            else:
                unknown.append(where)
        return pruned
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [_prune(item, node["items"], defs, f"{path}[{i}]", unknown) for i, item in enumerate(value)]
    return value


def _is_placeholder(schema):
    return not schema or (schema.get("x-kubernetes-preserve-unknown-fields") and not schema.get("properties"))


class Schemas:
    """Schema lookup by resource type, with pruning and (optionally) validation."""

    def __init__(self, directory, validate=False):
        core = _load(os.path.join(directory, "core-v1", "core-v1.32-strict.schema.json")) or {}
        swagger = _load(os.path.join(directory, "kubevirt", "swagger.json")) or {}
        self.core_defs = core.get("$defs") or {}
        self.kubevirt_defs = swagger.get("definitions") or {}
        self.protobuf = ProtoSchemas.load(os.path.join(directory, "protobuf"))
        problem = schemas_problem(directory) if validate else None
        if problem:
            raise ValueError(f"cannot validate against the schemas: {problem}")
        self.validate_enabled = validate
        self._validators = {}

    def structural(self, rt):
        """(schema node, defs) for the whole object, or None when the kind has no known schema."""
        if rt.group == "" and rt.kind in CORE_KINDS and f"kind:{rt.kind}" in self.core_defs:
            return self.core_defs[f"kind:{rt.kind}"], self.core_defs
        if rt.group == "kubevirt.io" and _is_placeholder(rt.schema) and KUBEVIRT_KINDS.get(rt.kind) in \
                self.kubevirt_defs:
            return self.kubevirt_defs[KUBEVIRT_KINDS[rt.kind]], self.kubevirt_defs
        if not _is_placeholder(rt.schema):
            return rt.schema, {}
        return None

    def prune(self, rt, obj):
        """Drop fields the schema does not declare; returns (pruned object, unknown field paths)."""
        unknown = []
        result = dict(obj)
        if isinstance(obj.get("metadata"), dict) and OBJECT_META in self.core_defs:
            result["metadata"] = _prune(obj["metadata"], self.core_defs[OBJECT_META], self.core_defs, "metadata",
                                        unknown)
        found = self.structural(rt)
        if found:
            node, defs = found
            body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
            result.update(_prune(body, node, defs, "", unknown))
        return result, unknown

    def has_validator(self, rt):
        return self.validate_enabled and self.structural(rt) is not None

    def validate(self, rt, obj):
        """Field causes (`field`, `message`) for every schema violation; empty when valid or validation is off."""
        if not self.has_validator(rt):
            return []
        validator = self._validators.get(rt.key)
        if validator is None:
            validator = self._validators[rt.key] = self._build_validator(rt)
        causes = []
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
            field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
            causes.append({"reason": "FieldValueInvalid", "field": field or "<root>",
                           "message": f"Invalid value: {json.dumps(error.instance)[:200]}: {error.message}"})
        return causes

    def _build_validator(self, rt):
        node, defs = self.structural(rt)
        if defs is self.core_defs:
            return jsonschema.Draft202012Validator({"$ref": f"#/$defs/kind:{rt.kind}", "$defs": defs})
        if defs is self.kubevirt_defs:
            defs = dict(defs)
            # The Swagger IntOrString says string only; real objects also carry integers there.
            defs[INT_OR_STRING] = {**defs.get(INT_OR_STRING, {}), "type": ["string", "integer"]}
            return jsonschema.Draft4Validator({"$ref": f"#/definitions/{KUBEVIRT_KINDS[rt.kind]}",
                                               "definitions": defs})
        return jsonschema.Draft4Validator(node)
