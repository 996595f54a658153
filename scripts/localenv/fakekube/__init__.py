"""fakekube: a fake Kubernetes API server (Python standard library only) for the local environment and tests.

It follows the behaviour list in shared/research/k8s-target.md §5: discovery and OpenAPI v3 for kubectl, one
global resourceVersion, 409 on stale updates, status subresource isolation, selectors, pagination, watches with
history, bookmarks and 410 Expired, finalizers, server-side tables, bearer-token and client-certificate
authentication with a small RBAC, simulated controllers (Pods, PV/PVC binding, KubeVirt VMs, namespaces, garbage
collection), API aggregation (APIServices proxied to HTTPS backends) and a control API for fault injection (see
control.py and README.md).

Modules: server (command line and lifecycle), handler (HTTP), requestinfo (path parsing), auth, api (verb
semantics), store (objects, resourceVersions, history), watch, selectors, patch, schemas, openapi, discovery,
tables, resources (registry and CRDs), controllers, aggregator, control, seed, settings, clock, errors.
"""


def main(argv=None):
    from .server import main as run

    return run(argv)
