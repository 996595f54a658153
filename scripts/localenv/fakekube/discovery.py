"""Legacy (non-aggregated) discovery documents: /version, /api, /apis, /api/v1 and /apis/<group>/<version>.

Groups of APIServices served by other servers (aggregator.py) are listed in /apis and /apis/<group>; their
/apis/<group>/<version> is the backend's own answer.

kubectl 1.32 first asks for aggregated discovery (`as=APIGroupDiscoveryList`); a plain `application/json` answer
makes it fall back to these documents. Subresources are listed as `<plural>/<sub>` without short names, so
`kubectl get vm` does not warn that "vm" could also mean `virtualmachines/status`.
"""

import hashlib

from .resources import SUBRESOURCE_VERBS

VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.4-fakekube", "gitCommit": "0" * 40,
    "gitTreeState": "clean", "buildDate": "2026-11-26T00:00:00Z", "goVersion": "go1.23.6",
    "compiler": "gc", "platform": "linux/amd64",
}


def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group(registry, group, remote_versions=()):
    versions = sorted({rt.version for rt in registry.all() if rt.group == group})
    versions += [v for v in remote_versions if v not in versions]
    if not versions:
        return None
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry, remote=None):
    """The groups served here and by aggregated API servers (`remote`: {group: [version, preferred first]})."""
    remote = remote or {}
    groups = sorted({g for g, _ in registry.group_versions() if g} | set(remote))
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group(registry, g, remote.get(g, ())) for g in groups]}


def api_group(registry, group, remote=None):
    found = _group(registry, group, (remote or {}).get(group, ()))
    return {"kind": "APIGroup", "apiVersion": "v1", **found} if found else None


def resource_list(registry, group, version):
    """APIResourceList for one group version, or None when it is not served."""
    types = registry.in_group_version(group, version)
    if not types:
        return None
    resources = []
    for rt in types:
        entry = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced, "kind": rt.kind,
                 "verbs": list(rt.verbs)}
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        if rt.storable:
            entry["storageVersionHash"] = hashlib.sha256(rt.key.encode()).hexdigest()[:11]
        resources.append(entry)
        for sub in rt.subresources:
            resources.append({"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced,
                              "kind": rt.kind, "verbs": list(SUBRESOURCE_VERBS[sub])})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": types[0].api_version,
            "resources": resources}
