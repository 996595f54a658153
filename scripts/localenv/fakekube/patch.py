"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and a strategic merge patch subset.

Functions take a deep copy of the current object and return the patched document. Errors carry the status the
apiserver uses: a body that is not a patch is 400; a patch that cannot be applied (a failed `test`, a missing
path) is 422.

Strategic merge patch is served for built-in kinds only (custom resources get 415, like the real server). The
subset here covers what kubectl generates for the core kinds we register: lists merged by their merge key
(containers by name, ports by containerPort, ...), `$patch: replace|delete`, `$retainKeys`,
`$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` (applied as an ordering hint).
"""

import copy

from . import errors


def merge_patch(target, patch):
    """RFC 7386: objects merge recursively, null deletes a key, anything else (lists included) replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- RFC 6902 ------------------------------------------------------------------------------------------------------

def _pointer(path):
    if path == "":
        return []
    if not isinstance(path, str) or not path.startswith("/"):
        raise errors.unprocessable(f"invalid JSON pointer {path!r}: must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(container, token, path, allow_end=False):
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise errors.unprocessable(f"invalid array index {token!r} in path {path!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise errors.unprocessable(f"array index {index} out of bounds in path {path!r}")
    return index


def _parent(doc, tokens, path):
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, path)]
        else:
            raise errors.unprocessable(f"path {path!r} does not exist: missing {token!r}")
    return node


def _get(doc, path):
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent, last = _parent(doc, tokens, path), tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, path)]
    raise errors.unprocessable(f"path {path!r} does not exist")


def _add(doc, path, value):
    tokens = _pointer(path)
    if not tokens:
        return value
    parent, last = _parent(doc, tokens, path), tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, path, allow_end=True), value)
    else:
        raise errors.unprocessable(f"cannot add at {path!r}: parent is not an object or array")
    return doc


def _remove(doc, path):
    tokens = _pointer(path)
    if not tokens:
        raise errors.unprocessable("cannot remove the whole document")
    parent, last = _parent(doc, tokens, path), tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, path))
    raise errors.unprocessable(f"Unable to remove nonexistent key: {last}: missing value at {path!r}")


def json_patch(doc, operations):
    """Apply RFC 6902 operations in order; all or nothing, since `doc` is the caller's private copy."""
    if not isinstance(operations, list):
        raise errors.bad_request("json patch must be a list of operations")
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise errors.bad_request(f"invalid json patch operation: {op!r}")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise errors.bad_request(f"missing value for {kind} operation at {path!r}")
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            if _pointer(path):
                _get(doc, path)  # must exist
                _remove(doc, path)
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind in ("move", "copy"):
            source = op.get("from")
            if source is None:
                raise errors.bad_request(f"missing from for {kind} operation")
            value = _remove(doc, source) if kind == "move" else copy.deepcopy(_get(doc, source))
            doc = _add(doc, path, value)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise errors.unprocessable(f"testing value {path} failed: test failed")
        else:
            raise errors.bad_request(f"Unexpected kind: {kind}")
    return doc


# --- strategic merge patch ------------------------------------------------------------------------------------------

# Merge keys of the list fields kubectl meets in the core kinds; lists not named here are replaced.
_MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath", "imagePullSecrets": "name",
    "conditions": "type", "ownerReferences": "uid", "hostAliases": "ip", "secrets": "name",
    "topologySpreadConstraints": "topologyKey", "resourceClaims": "name", "addresses": "type",
}
# Primitive lists whose patch strategy is merge (union) rather than replace.
_MERGED_PRIMITIVE_LISTS = {"finalizers"}


def _merge_key(field, items):
    if field == "ports":  # container ports merge by containerPort, service ports by port
        return "containerPort" if any(isinstance(i, dict) and "containerPort" in i for i in items) else "port"
    return _MERGE_KEYS.get(field)


def strategic_merge_patch(target, patch):
    if not isinstance(patch, dict):
        raise errors.bad_request("strategic merge patch must be a JSON object")
    return _smp_map(target if isinstance(target, dict) else {}, patch)


def _smp_map(target, patch):
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    result = dict(target)
    orders = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
        elif key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [v for v in result[field] if v not in value]
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _smp_map(result.get(key) if isinstance(result.get(key), dict) else {}, value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _smp_list(key, result.get(key) if isinstance(result.get(key), list) else [], value)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _apply_order(field, result[field], order)
    if "$retainKeys" in patch:
        keep = set(patch["$retainKeys"])
        result = {k: v for k, v in result.items() if k in keep}
    return result


def _smp_list(field, current, patch):
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [i for i in patch if not (isinstance(i, dict) and i.get("$patch") == "replace")]
    if field in _MERGED_PRIMITIVE_LISTS:
        return current + [v for v in patch if v not in current]
    key = _merge_key(field, current + patch)
    if not key or not all(isinstance(i, dict) for i in patch):
        return copy.deepcopy(patch)
    result = list(current)
    for item in patch:
        match = next((n for n, cur in enumerate(result) if isinstance(cur, dict) and cur.get(key) == item.get(key)),
                     None)
        if item.get("$patch") == "delete":
            if match is not None:
                del result[match]
        elif match is None:
            result.append(_smp_map({}, item))
        else:
            result[match] = _smp_map(result[match], item)
    return result


def _apply_order(field, items, order):
    """Reorder `items` to follow `$setElementOrder`; items the order does not name keep their place at the end."""
    key = _merge_key(field, items)

    def ident(item):
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [ident(o) for o in order]
    ranked = sorted(enumerate(items), key=lambda p: (wanted.index(ident(p[1])) if ident(p[1]) in wanted
                                                     else len(wanted) + p[0]))
    return [item for _, item in ranked]
