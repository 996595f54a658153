import MTVAPI

/// The collections of an OpenShift (`host`) provider's inventory, as upstream names them.
public enum ClusterCollection: String, Sendable, CaseIterable {
    case storageClasses = "storageclasses"
    case networkAttachmentDefinitions = "networkattachmentdefinitions"
    case namespaces
    case vms
}

/// The cluster's own inventory, for OpenShift providers: their storage classes, network attachment definitions,
/// namespaces and KubeVirt VMs, as the controller's caches hold them.
public protocol ClusterInventorySource: Sendable {
    /// The OpenShift providers that are Ready (`passes` is 1 once the caches are filled, else 0).
    func providers() async -> [InventoryProvider]
    /// The objects of one collection; nil until its cache is filled.
    func objects(_ collection: ClusterCollection) async -> [JSONValue]?
    /// The running instance (VMI) of a VM, if any.
    func instance(namespace: String, name: String) async -> JSONValue?
}

extension InventoryService {
    /// One Kubernetes object in upstream's envelope for OpenShift inventories: `uid`, `version`, `namespace`,
    /// `name`, `selfLink`, `id`, and from detail 1 the object itself (and a VM's instance).
    static func clusterItem(
        _ object: JSONValue, collection: ClusterCollection, provider: InventoryProvider, detail: Int,
        instance: JSONValue?
    ) -> JSONValue {
        let uid = object[path: ["metadata", "uid"]]?.stringValue ?? ""
        var item: JSONValue = [
            "uid": .string(uid), "id": .string(uid),
            "version": .string(object[path: ["metadata", "resourceVersion"]]?.stringValue ?? ""),
            "namespace": .string(object[path: ["metadata", "namespace"]]?.stringValue ?? ""),
            "name": .string(object[path: ["metadata", "name"]]?.stringValue ?? ""),
            "selfLink": .string("providers/openshift/\(provider.uid)/\(collection.rawValue)/\(uid)"),
        ]
        if detail > 0 {
            item["object"] = object
            if let instance { item["instance"] = instance }
        }
        return item
    }

    /// The counts upstream's `get provider` shows for an OpenShift provider (the pod network counts as one).
    static func clusterCounts(_ cluster: any ClusterInventorySource) async -> [String: JSONValue] {
        let vms = await cluster.objects(.vms)?.count ?? 0
        let networks = (await cluster.objects(.networkAttachmentDefinitions)?.count ?? 0) + 1
        let storageClasses = await cluster.objects(.storageClasses)?.count ?? 0
        return [
            "vmCount": .number(Double(vms)), "networkCount": .number(Double(networks)),
            "storageClassCount": .number(Double(storageClasses)),
        ]
    }
}
