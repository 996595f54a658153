import Foundation
import Inventory
import KubernetesClient
import MTVAPI
import MigrationCore

/// Map validation: each NetworkMap and StorageMap is checked on its own and carries its own conditions.
extension PlanReconciler {
    /// A map's work-queue key: `networkmaps:namespace/name` or `storagemaps:…` (a colon is in no Kubernetes name).
    static func mapKey(of map: JSONValue) -> String {
        let plural =
            map["kind"]?.stringValue == "NetworkMap" ? ResourceType.networkMaps.plural : ResourceType.storageMaps.plural
        return "\(plural):\(ProviderReconciler.key(of: map))"
    }

    /// The `namespace/name` of a map's source provider.
    static func sourceKey(of map: JSONValue) -> String {
        let namespace = map[path: ["metadata", "namespace"]]?.stringValue ?? ""
        let source = map[path: ["spec", "provider", "source"]]
        return "\(source?["namespace"]?.stringValue ?? namespace)/\(source?["name"]?.stringValue ?? "")"
    }

    /// Validates one map on its own and writes its conditions (it is looked at again while it is not Ready).
    func reconcileMap(kind: String, key: String) async throws -> Double? {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let resource = kind == ResourceType.networkMaps.plural ? ResourceType.networkMaps : ResourceType.storageMaps
        var cached: JSONValue?
        for informer in maps {
            if let hit = await informer.get(name: parts[1], namespace: parts[0]),
                hit["kind"]?.stringValue == resource.kind
            {
                cached = hit
            }
        }
        guard let raw = cached, raw[path: ["metadata", "deletionTimestamp"]] == nil else { return nil }
        let conditions: [Condition]
        if resource == .networkMaps {
            let map: NetworkMap = try raw.decode()
            conditions = try await mapConditions(map.spec.provider, namespace: parts[0], kind: .network) { records in
                MapValidator.network(map, networks: records, attachments: try await self.attachments())
            }
            try await setMapConditions(NetworkMap.self, map, conditions)
        } else {
            let map: StorageMap = try raw.decode()
            conditions = try await mapConditions(map.spec.provider, namespace: parts[0], kind: .storage) { records in
                let classes = try await self.storageClasses().compactMap(\.metadata.name)
                return MapValidator.storage(map, storages: records, storageClasses: Set(classes))
            }
            try await setMapConditions(StorageMap.self, map, conditions)
        }
        return conditions.isTrue(ConditionType.ready) ? nil : recheckInterval
    }

    /// The providers' conditions when they are not usable, else `validate` over the source inventory's records.
    func mapConditions(
        _ providers: ProviderPair, namespace: String, kind: InventoryKind,
        _ validate: ([JSONValue]) async throws -> [Condition]
    ) async throws -> [Condition] {
        func exists(_ reference: ObjectReference) async throws -> Provider? {
            do {
                return try await client.get(
                    Provider.self, name: reference.name ?? "", namespace: reference.namespace ?? namespace)
            } catch let error as KubernetesError where error.isNotFound {
                return nil
            }
        }
        let source = try await exists(providers.source)
        let sourceKey = "\(providers.source.namespace ?? namespace)/\(providers.source.name ?? "")"
        let entry = await registry.entry(key: sourceKey)
        var collected = false
        if let entry { collected = try await store.passes(provider: entry.uid) > 0 }
        if let blocked = MapValidator.providers(
            sourceExists: source != nil,
            sourceReady: source?.status?.conditions?.isTrue(ConditionType.ready) == true && collected,
            destinationExists: try await exists(providers.destination) != nil, reference: providers,
            namespace: namespace)
        {
            return blocked
        }
        let records = try await store.list(provider: entry?.uid ?? "", kind: kind).map { record -> JSONValue in
            ["id": .string(record.id), "name": .string(record.name)]
        }
        return try await validate(records)
    }

    /// Every NetworkAttachmentDefinition as `namespace/name` (none when the cluster does not serve them).
    /// The cluster's storage classes: from the watch cache, or a list until it has synced.
    func storageClasses() async throws -> [StorageClass] {
        if let cached = await cluster.objects(.storageClasses) { return try cached.map { try $0.decode() } }
        return try await client.list(StorageClass.self).items
    }

    /// `namespace/name` of every NetworkAttachmentDefinition: from the watch cache when it covers all namespaces
    /// and has synced (a map may name one outside the namespaces this controller watches), else a list.
    func attachments() async throws -> Set<String> {
        if cluster.namespaces == [nil], let cached = await cluster.objects(.networkAttachmentDefinitions) {
            return Set(cached.map(ProviderReconciler.key(of:)))
        }
        do {
            return Set(try await client.listAll(.networkAttachmentDefinitions).items.map(ProviderReconciler.key(of:)))
        } catch let error as KubernetesError where error.isNotFound {
            return []
        }
    }

    func setMapConditions<T: KubernetesObject & MapObject>(
        _ type: T.Type, _ map: T, _ conditions: [Condition]
    )
        async throws
    {
        let written = try await client.updateStatus(
            T.self, name: map.metadata.name ?? "", namespace: map.metadata.namespace, current: map
        ) { current in
            var status = current.status ?? MapStatus()
            var merged = status.conditions ?? []
            merged.replace(owned: MapValidator.conditionTypes, with: conditions, now: Timestamp.now())
            status.conditions = merged
            status.observedGeneration = current.metadata.generation
            current.status = status
        }
        guard written.status != map.status else { return }
        logger.info(
            "map validated",
            metadata: [
                "map": "\(T.resourceType.plural)/\(map.metadata.namespace ?? "")/\(map.metadata.name ?? "")",
                "ready": "\(conditions.isTrue(ConditionType.ready))",
            ])
    }
}

/// A NetworkMap or StorageMap: what map validation reads and writes.
protocol MapObject {
    var status: MapStatus? { get set }
}

extension NetworkMap: MapObject {}
extension StorageMap: MapObject {}
