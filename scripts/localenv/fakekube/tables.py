"""Server-side printing: `meta.k8s.io` Table responses for `kubectl get`.

kubectl asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints the columns the server sends.
Custom resources use their CRD's additionalPrinterColumns (a Name column first, then each column's JSONPath
result); built-in kinds get a modest version of the real columns. Date columns become ages ("5m") on the server,
as the apiserver does.
"""

import json
import re

from .clock import human_age

_NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "priority": 0,
                "description": "Name must be unique within a namespace."}


# --- JSONPath subset: .a.b, ['a'], [0], [*], [?(@.x.y=='v')] --------------------------------------------------------

_STEP = re.compile(r"""\.(?P<field>[^.\[]+)|\[(?P<index>-?\d+|\*)\]|\['(?P<quoted>[^']*)'\]|"""
                   r"""\[\?\(@(?P<fpath>(?:\.[^=!\s)]+)+)\s*(?P<op>==|!=)\s*(?P<value>'[^']*'|"[^"]*"|[^)]+)\)\]""")


def _steps(path):
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    steps, pos = [], 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if not m:
            raise ValueError(f"unsupported JSONPath {path!r}")
        steps.append(m)
        pos = m.end()
    return steps


def _lookup(value, dotted):
    for part in dotted.strip(".").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def jsonpath(obj, path):
    """All values `path` selects in `obj`, in document order."""
    current = [obj]
    for m in _steps(path):
        found = []
        for value in current:
            if m.group("field") is not None or m.group("quoted") is not None:
                key = m.group("field") if m.group("field") is not None else m.group("quoted")
                if isinstance(value, dict) and key in value:
                    found.append(value[key])
            elif m.group("index") is not None:
                if isinstance(value, list):
                    if m.group("index") == "*":
                        found.extend(value)
                    elif -len(value) <= int(m.group("index")) < len(value):
                        found.append(value[int(m.group("index"))])
                elif isinstance(value, dict) and m.group("index") == "*":
                    found.extend(value.values())
            else:
                wanted = m.group("value").strip()
                wanted = wanted[1:-1] if wanted[:1] in "'\"" else wanted
                equal = m.group("op") == "=="
                items = value if isinstance(value, list) else []
                found.extend(i for i in items if (str(_lookup(i, m.group("fpath"))) == wanted) == equal)
        current = found
    return current


def _crd_cell(column, obj):
    try:
        results = jsonpath(obj, column.get("jsonPath", ""))
    except ValueError:
        return None
    if not results or results[0] is None:
        return None
    value, kind = results[0], column.get("type", "string")
    if kind == "date":
        return human_age(value) if isinstance(value, str) else None
    if kind == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    return value if isinstance(value, str) else json.dumps(value)


# --- built-in kinds ------------------------------------------------------------------------------------------------

def _get(obj, dotted, default=""):
    value = _lookup(obj, dotted)
    return default if value is None else value


def _age(obj):
    return human_age(obj["metadata"].get("creationTimestamp", ""))


def _condition(obj, kind):
    return next((c.get("status") for c in _get(obj, "status.conditions", []) if c.get("type") == kind), None)


def _pod_ready(obj):
    statuses = _get(obj, "status.containerStatuses", [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{len(_get(obj, 'spec.containers', []))}"


def _pod_status(obj):
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for status in _get(obj, "status.containerStatuses", []):
        state = status.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason"):
            return state["waiting"]["reason"]
        if "terminated" in state and state["terminated"].get("reason") and _get(obj, "status.phase") == "Failed":
            return state["terminated"]["reason"]
    return {"Succeeded": "Completed"}.get(_get(obj, "status.phase"), _get(obj, "status.phase") or "Pending")


def _job_status(obj):
    for kind, shown in (("Complete", "Complete"), ("Failed", "Failed")):
        if _condition(obj, kind) == "True":
            return shown
    return "Running"


def _job_duration(obj):
    start = _get(obj, "status.startTime")
    return human_age(start, until=_get(obj, "status.completionTime") or None) if start else ""


def _node_roles(obj):
    roles = sorted(k.split("/", 1)[1] for k in obj["metadata"].get("labels") or {}
                   if k.startswith("node-role.kubernetes.io/"))
    return ",".join(roles) or "<none>"


def _access_modes(obj, path):
    short = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
    return ",".join(short.get(m, m) for m in _get(obj, path, []))


def _sc_name(obj):
    annotations = obj["metadata"].get("annotations") or {}
    default = annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
    return obj["metadata"]["name"] + (" (default)" if default else "")


def _claim(obj):
    ref = _get(obj, "spec.claimRef", {})
    return f"{ref.get('namespace')}/{ref.get('name')}" if ref.get("name") else ""


def _apiservice_service(obj):
    service = _get(obj, "spec.service", None)
    return f"{service.get('namespace')}/{service.get('name')}" if service else "Local"


def _apiservice_available(obj):
    """"True", or "False (reason)" like the aggregator's printer; "Unknown" before the first check."""
    condition = next((c for c in _get(obj, "status.conditions", []) if c.get("type") == "Available"), {})
    status = condition.get("status") or "Unknown"
    return f"{status} ({condition['reason']})" if status != "True" and condition.get("reason") else status


def _col(name, func, priority=0, type_="string"):
    return ({"name": name, "type": type_, "format": "", "priority": priority, "description": name}, func)


_AGE = _col("Age", _age)
BUILTIN_COLUMNS = {
    "/pods": [_col("Ready", _pod_ready), _col("Status", _pod_status),
              _col("Restarts", lambda o: sum(s.get("restartCount", 0)
                                             for s in _get(o, "status.containerStatuses", [])), type_="integer"),
              _AGE, _col("IP", lambda o: _get(o, "status.podIP") or "<none>", 1),
              _col("Node", lambda o: _get(o, "spec.nodeName") or "<none>", 1)],
    "batch/jobs": [_col("Status", _job_status),
                   _col("Completions", lambda o: f"{_get(o, 'status.succeeded', 0) or 0}/"
                                                 f"{_get(o, 'spec.completions', 1) or 1}"),
                   _col("Duration", _job_duration), _AGE],
    "/nodes": [_col("Status", lambda o: "Ready" if _condition(o, "Ready") == "True" else "NotReady"),
               _col("Roles", _node_roles), _AGE,
               _col("Version", lambda o: _get(o, "status.nodeInfo.kubeletVersion"))],
    "/namespaces": [_col("Status", lambda o: _get(o, "status.phase")), _AGE],
    "/secrets": [_col("Type", lambda o: _get(o, "type")), _col("Data", lambda o: len(_get(o, "data", {})),
                                                                type_="integer"), _AGE],
    "/configmaps": [_col("Data", lambda o: len(_get(o, "data", {})) + len(_get(o, "binaryData", {})),
                         type_="integer"), _AGE],
    "/services": [_col("Type", lambda o: _get(o, "spec.type") or "ClusterIP"),
                  _col("Cluster-IP", lambda o: _get(o, "spec.clusterIP") or "<none>"), _AGE],
    "/persistentvolumes": [_col("Capacity", lambda o: _get(o, "spec.capacity.storage")),
                           _col("Access Modes", lambda o: _access_modes(o, "spec.accessModes")),
                           _col("Reclaim Policy", lambda o: _get(o, "spec.persistentVolumeReclaimPolicy")),
                           _col("Status", lambda o: _get(o, "status.phase")), _col("Claim", _claim),
                           _col("StorageClass", lambda o: _get(o, "spec.storageClassName")), _AGE],
    "/persistentvolumeclaims": [_col("Status", lambda o: _get(o, "status.phase")),
                                _col("Volume", lambda o: _get(o, "spec.volumeName")),
                                _col("Capacity", lambda o: _get(o, "status.capacity.storage")),
                                _col("Access Modes", lambda o: _access_modes(o, "status.accessModes")),
                                _col("StorageClass", lambda o: _get(o, "spec.storageClassName")), _AGE],
    "storage.k8s.io/storageclasses": [_col("Provisioner", lambda o: _get(o, "provisioner")),
                                      _col("ReclaimPolicy", lambda o: _get(o, "reclaimPolicy") or "Delete"),
                                      _col("VolumeBindingMode",
                                           lambda o: _get(o, "volumeBindingMode") or "Immediate"),
                                      _col("AllowVolumeExpansion",
                                           lambda o: bool(_get(o, "allowVolumeExpansion", False)),
                                           type_="boolean"), _AGE],
    "/events": [_col("Last Seen", lambda o: human_age(_get(o, "lastTimestamp") or o["metadata"].get(
                    "creationTimestamp", ""))), _col("Type", lambda o: _get(o, "type")),
                _col("Reason", lambda o: _get(o, "reason")),
                _col("Object", lambda o: f"{_get(o, 'involvedObject.kind').lower()}/"
                                         f"{_get(o, 'involvedObject.name')}"),
                _col("Message", lambda o: _get(o, "message"))],
    "coordination.k8s.io/leases": [_col("Holder", lambda o: _get(o, "spec.holderIdentity")), _AGE],
    "apiextensions.k8s.io/customresourcedefinitions": [
        _col("Created At", lambda o: o["metadata"].get("creationTimestamp", ""), type_="date")],
    "apiregistration.k8s.io/apiservices": [_col("Service", _apiservice_service),
                                           _col("Available", _apiservice_available), _AGE],
}


def _columns(rt):
    """[(column definition, cell function)] for a resource type, after the Name column."""
    if rt.printer_columns is not None and rt.is_custom:
        columns = rt.printer_columns or [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
        return [({"name": c["name"], "type": c.get("type", "string"), "format": c.get("format", ""),
                  "description": c.get("description", ""), "priority": c.get("priority", 0)},
                 lambda o, c=c: _crd_cell(c, o)) for c in columns]
    return BUILTIN_COLUMNS.get(rt.key, [_AGE])


def _row_object(obj, include):
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def to_table(rt, objects, api_version="meta.k8s.io/v1", list_meta=None, include_object="Metadata",
             no_headers=False):
    """A Table of `objects` (one row each)."""
    columns = _columns(rt)
    rows = []
    for obj in objects:
        name = _sc_name(obj) if rt.key == "storage.k8s.io/storageclasses" else obj["metadata"]["name"]
        row = {"cells": [name] + [func(obj) for _, func in columns]}
        embedded = _row_object(obj, include_object)
        if embedded is not None:
            row["object"] = embedded
        rows.append(row)
    table = {"kind": "Table", "apiVersion": api_version, "metadata": list_meta or {}, "rows": rows}
    if not no_headers:
        table["columnDefinitions"] = [_NAME_COLUMN] + [definition for definition, _ in columns]
    return table
