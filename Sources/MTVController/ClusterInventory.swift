import Foundation
import Inventory
import KubernetesClient
import MTVAPI

/// The inventory of OpenShift (`host`) providers: the cluster's storage classes, network attachment definitions,
/// namespaces and KubeVirt VMs, read from caches that watches keep current (no collection passes). A kind the
/// cluster does not serve (no Multus, no KubeVirt) is an empty collection, not a wait.
public actor ClusterInventory: ClusterInventorySource {
    let client: KubernetesClient
    let namespaces: [String?]
    private var caches: [ClusterCollection: [Informer]] = [:]
    private var instances: [Informer] = []
    private var providerCaches: [Informer] = []

    /// Creates the inventory; `start` begins watching (`namespaces`: nil for all, as the controller watches).
    public init(client: KubernetesClient, namespaces: [String?]) {
        self.client = client
        self.namespaces = namespaces
    }

    /// Starts the caches; Providers come from the controller's own Provider caches.
    func start(providers: [Informer]) async {
        providerCaches = providers
        guard caches.isEmpty else { return }
        caches[.storageClasses] = [Informer(client: client, resource: .storageClasses)]
        caches[.namespaces] = [Informer(client: client, resource: .namespaces)]
        caches[.networkAttachmentDefinitions] = namespaces.map {
            Informer(client: client, resource: .networkAttachmentDefinitions, namespace: $0)
        }
        caches[.vms] = namespaces.map { Informer(client: client, resource: .virtualMachines, namespace: $0) }
        instances = namespaces.map { Informer(client: client, resource: .virtualMachineInstances, namespace: $0) }
        for informer in caches.values.flatMap({ $0 }) + instances { await informer.start() }
    }

    /// Stops the caches.
    func stop() async {
        for informer in caches.values.flatMap({ $0 }) + instances { await informer.stop() }
        caches.removeAll()
        instances.removeAll()
        providerCaches.removeAll()
    }

    public func providers() async -> [InventoryProvider] {
        let storageClasses = await objects(.storageClasses), namespaces = await objects(.namespaces)
        let ready = storageClasses != nil && namespaces != nil
        var found: [InventoryProvider] = []
        for informer in providerCaches {
            for object in await informer.list() where object[path: ["spec", "type"]]?.stringValue == "openshift" {
                guard let provider = try? object.decode(as: Provider.self),
                    provider.metadata.deletionTimestamp == nil,
                    provider.status?.conditions?.isTrue(ProviderCondition.ready) == true
                else { continue }
                found.append(
                    InventoryProvider(
                        uid: provider.metadata.uid ?? "", name: provider.metadata.name ?? "",
                        namespace: provider.metadata.namespace ?? "", type: "openshift", passes: ready ? 1 : 0))
            }
        }
        return found
    }

    public func objects(_ collection: ClusterCollection) async -> [JSONValue]? {
        guard let informers = caches[collection] else { return nil }
        var objects: [JSONValue] = []
        for informer in informers {
            if await informer.hasSynced {
                objects += await informer.list()
            } else if await informer.lastError?.isNotFound != true {
                return nil
            }
        }
        return objects
    }

    public func instance(namespace: String, name: String) async -> JSONValue? {
        for informer in instances {
            if let found = await informer.get(name: name, namespace: namespace) { return found }
        }
        return nil
    }
}
