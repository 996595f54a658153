"""The resource types the server knows: built-in kinds, and kinds defined by CustomResourceDefinitions.

Discovery, OpenAPI, routing, authorization and tables all read one `Registry`, so a CRD created at run time shows
up everywhere at once. Custom kinds (Forklift, KubeVirt, Multus) are registered by storing CRD objects, exactly
as on a real cluster; `default_crds()` supplies those objects at start-up.
"""

import glob
import json
import logging
import os
import threading
from dataclasses import dataclass, field

try:  # PyYAML is optional: without it only JSON CRD files are read.
    import yaml
except ImportError:  # pragma: no cover - depends on the environment
    yaml = None

log = logging.getLogger("fakekube")

STANDARD_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUBRESOURCE_VERBS = {"status": ["get", "patch", "update"], "log": ["get"]}


@dataclass
class ResourceType:
    """One served resource (group, version, plural) and what the server needs to know to serve it."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    subresources: tuple = ()
    verbs: list = field(default_factory=lambda: list(STANDARD_VERBS))
    printer_columns: list = None  # CRD additionalPrinterColumns; None means the built-in table layout
    schema: dict = None  # openAPIV3Schema from the CRD, if any
    crd_name: str = ""  # set for kinds that a CustomResourceDefinition defines

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self):
        """`plural.group`, the spelling of the resource in API error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def key(self):
        """Storage key: objects of one group and plural share a store whatever the version."""
        return f"{self.group}/{self.plural}"

    @property
    def list_kind(self):
        return f"{self.kind}List"

    @property
    def is_custom(self):
        return bool(self.crd_name)

    @property
    def has_status(self):
        return "status" in self.subresources

    @property
    def storable(self):
        """Review kinds are create-only and never stored."""
        return "get" in self.verbs


def _core(kind, plural, namespaced, short=(), subresources=(), categories=(), group="", version="v1", verbs=None):
    return ResourceType(group=group, version=version, kind=kind, plural=plural, singular=kind.lower(),
                        namespaced=namespaced, short_names=list(short), categories=list(categories),
                        subresources=tuple(subresources), verbs=list(verbs or STANDARD_VERBS))


BUILTIN_TYPES = [
    _core("Namespace", "namespaces", False, ["ns"], ["status"], verbs=["create", "delete", "get", "list", "patch",
                                                                        "update", "watch"]),
    _core("Node", "nodes", False, ["no"], ["status"]),
    _core("Secret", "secrets", True),
    _core("ConfigMap", "configmaps", True, ["cm"]),
    _core("Service", "services", True, ["svc"], ["status"], ["all"]),
    _core("ServiceAccount", "serviceaccounts", True, ["sa"]),
    _core("Pod", "pods", True, ["po"], ["status", "log"], ["all"]),
    _core("PersistentVolume", "persistentvolumes", False, ["pv"], ["status"]),
    _core("PersistentVolumeClaim", "persistentvolumeclaims", True, ["pvc"], ["status"]),
    _core("Job", "jobs", True, [], ["status"], ["all"], group="batch"),
    _core("Event", "events", True, ["ev"]),
    _core("Event", "events", True, ["ev"], group="events.k8s.io"),
    _core("StorageClass", "storageclasses", False, ["sc"], group="storage.k8s.io"),
    _core("Lease", "leases", True, group="coordination.k8s.io"),
    _core("CustomResourceDefinition", "customresourcedefinitions", False, ["crd", "crds"], ["status"],
          group="apiextensions.k8s.io"),
    _core("APIService", "apiservices", False, subresources=["status"], categories=["api-extensions"],
          group="apiregistration.k8s.io"),
    _core("TokenReview", "tokenreviews", False, group="authentication.k8s.io", verbs=["create"]),
    _core("SelfSubjectReview", "selfsubjectreviews", False, group="authentication.k8s.io", verbs=["create"]),
    _core("SubjectAccessReview", "subjectaccessreviews", False, group="authorization.k8s.io", verbs=["create"]),
    _core("SelfSubjectAccessReview", "selfsubjectaccessreviews", False, group="authorization.k8s.io",
          verbs=["create"]),
    _core("SelfSubjectRulesReview", "selfsubjectrulesreviews", False, group="authorization.k8s.io",
          verbs=["create"]),
]


def resource_from_crd(crd):
    """The ResourceType a CRD object serves (its storage version; other versions are not served)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not versions or not names.get("kind") or not names.get("plural") or not spec.get("group"):
        raise ValueError("a CRD needs spec.group, spec.names.kind, spec.names.plural and a served version")
    served = next((v for v in versions if v.get("storage")), versions[0])
    subresources = tuple(sorted((served.get("subresources") or {}).keys() & {"status"}))
    return ResourceType(
        group=spec["group"], version=served["name"], kind=names["kind"], plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(), namespaced=spec.get("scope") != "Cluster",
        short_names=list(names.get("shortNames") or []), categories=list(names.get("categories") or []),
        subresources=subresources, printer_columns=list(served.get("additionalPrinterColumns") or []),
        schema=(served.get("schema") or {}).get("openAPIV3Schema"), crd_name=f"{names['plural']}.{spec['group']}")


class Registry:
    """Thread-safe map of served resources; `generation` changes whenever the set of resources changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_gvr = {}
        self.generation = 0
        for rt in BUILTIN_TYPES:
            self._by_gvr[(rt.group, rt.version, rt.plural)] = rt

    def lookup(self, group, version, plural):
        return self._by_gvr.get((group, version, plural))

    def by_key(self, key):
        return next((rt for rt in list(self._by_gvr.values()) if rt.key == key), None)

    def all(self):
        return list(self._by_gvr.values())

    def group_versions(self):
        """Sorted (group, version) pairs: the core group first, then groups by name."""
        return sorted({(rt.group, rt.version) for rt in self.all()}, key=lambda gv: (gv[0] != "", gv))

    def in_group_version(self, group, version):
        return sorted((rt for rt in self.all() if rt.group == group and rt.version == version),
                      key=lambda rt: rt.plural)

    def register_crd(self, crd):
        rt = resource_from_crd(crd)
        with self._lock:
            for gvr, old in list(self._by_gvr.items()):
                if old.crd_name == rt.crd_name:
                    del self._by_gvr[gvr]
            self._by_gvr[(rt.group, rt.version, rt.plural)] = rt
            self.generation += 1
        return rt

    def unregister_crd(self, crd_name):
        with self._lock:
            removed = [gvr for gvr, rt in self._by_gvr.items() if rt.crd_name == crd_name]
            for gvr in removed:
                del self._by_gvr[gvr]
            self.generation += 1


# --- The CRDs a fresh fake cluster has ---------------------------------------------------------------------------

# Forklift names for when the CRD YAML files cannot be read (no PyYAML): kind -> schema file in the forklift folder.
FORKLIFT_KINDS = {"Provider": "provider", "Plan": "plan", "Migration": "migration", "NetworkMap": "networkmap",
                  "StorageMap": "storagemap"}

_CONDITION_READY = ".status.conditions[?(@.type=='Ready')].status"
_PRESERVE = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def crd_manifest(group, version, kind, plural, namespaced=True, short_names=(), categories=(), status=True,
                 columns=(), schema=None):
    """A minimal CustomResourceDefinition object, for kinds whose upstream CRD file is not in the project."""
    names = {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()}
    if short_names:
        names["shortNames"] = list(short_names)
    if categories:
        names["categories"] = list(categories)
    served = {"name": version, "served": True, "storage": True, "schema": {"openAPIV3Schema": schema or _PRESERVE}}
    if status:
        served["subresources"] = {"status": {}}
    if columns:
        served["additionalPrinterColumns"] = list(columns)
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "names": names, "scope": "Namespaced" if namespaced else "Cluster",
                     "versions": [served]}}


def _column(name, json_path, type_="string", priority=0):
    column = {"name": name, "type": type_, "jsonPath": json_path}
    if priority:
        column["priority"] = priority
    return column


def _kubevirt_and_multus_crds():
    age = _column("Age", ".metadata.creationTimestamp", "date")
    return [
        crd_manifest("kubevirt.io", "v1", "VirtualMachine", "virtualmachines", short_names=["vm", "vms"],
                     categories=["all"], columns=[age, _column("Status", ".status.printableStatus"),
                                                  _column("Ready", _CONDITION_READY)]),
        crd_manifest("kubevirt.io", "v1", "VirtualMachineInstance", "virtualmachineinstances",
                     short_names=["vmi", "vmis"], categories=["all"],
                     columns=[age, _column("Phase", ".status.phase"),
                              _column("IP", ".status.interfaces[0].ipAddress"),
                              _column("NodeName", ".status.nodeName"), _column("Ready", _CONDITION_READY)]),
        crd_manifest("k8s.cni.cncf.io", "v1", "NetworkAttachmentDefinition", "network-attachment-definitions",
                     short_names=["net-attach-def"], status=False),
    ]


def read_crd_files(directory):
    """CRD objects from *.yaml, *.yml and *.json files in `directory` (YAML only when PyYAML is importable)."""
    crds = []
    for path in sorted(glob.glob(os.path.join(directory, "*"))):
        docs = []
        if path.endswith(".json"):
            with open(path, encoding="utf-8") as f:
                docs = [json.load(f)]
        elif path.endswith((".yaml", ".yml")):
            if yaml is None:
                log.warning("PyYAML is not importable; skipping CRD file %s", path)
                continue
            with open(path, encoding="utf-8") as f:
                docs = list(yaml.safe_load_all(f))
        crds.extend(d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition")
    return crds


def _forklift_fallback(schemas_dir):
    """Forklift CRDs rebuilt from the JSON schema files, used when the YAML CRDs cannot be read."""
    crds = []
    for kind, stem in FORKLIFT_KINDS.items():
        path = os.path.join(schemas_dir, "forklift", f"{stem}-v1beta1.schema.json")
        schema = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                schema = {k: v for k, v in json.load(f).items() if k not in ("$schema", "description")}
        crds.append(crd_manifest("forklift.konveyor.io", "v1beta1", kind, f"{stem}s", schema=schema,
                                 columns=[_column("AGE", ".metadata.creationTimestamp", "date")]))
    return crds


def default_crds(schemas_dir, crd_dirs):
    """The CRDs to install at start-up, by name: KubeVirt and Multus, Forklift, then each `--crd-dir` in order
    (later ones replace earlier definitions of the same CRD)."""
    by_name = {c["metadata"]["name"]: c for c in _kubevirt_and_multus_crds()}
    forklift_dir = os.path.join(schemas_dir, "forklift")
    forklift = read_crd_files(forklift_dir) if os.path.isdir(forklift_dir) else []
    for crd in forklift or _forklift_fallback(schemas_dir):
        by_name[crd["metadata"]["name"]] = crd
    for directory in crd_dirs:
        for crd in read_crd_files(directory):
            by_name[crd["metadata"]["name"]] = crd
    return list(by_name.values())
