import MTVAPI
import MigrationCore
import Testing

/// Maps validated on their own: sources in the inventory, destinations in the cluster, Ready when nothing blocks.
@Suite("Map validation")
struct MapValidatorTests {
    static let providers = ProviderPair(
        source: ObjectReference(name: "ec2", namespace: "ns"),
        destination: ObjectReference(name: "host", namespace: "ns"))
    static let networks: [JSONValue] = [
        ["id": "subnet-1", "name": "web"], ["id": "subnet-2", "name": "db"], ["id": "subnet-3", "name": "db"],
    ]

    static func networkMap(_ pairs: [(SourceReference, NetworkMap.Destination)]) -> NetworkMap {
        NetworkMap(
            metadata: ObjectMeta(name: "n", namespace: "ns"),
            spec: .init(provider: providers, map: pairs.map { .init(source: $0.0, destination: $0.1) }))
    }

    @Test("a map whose sources and destinations exist is Ready")
    func ready() {
        let map = Self.networkMap([
            (SourceReference(id: "subnet-1"), .init(type: "pod")),
            (SourceReference(name: "web"), .init(type: "multus", name: "vlan10", namespace: "ns")),
            (SourceReference(id: "subnet-2"), .init(type: "multus", name: "other/vlan20")),
            (SourceReference(type: "default"), .init(type: "pod")),
        ])
        let conditions = MapValidator.network(map, networks: Self.networks, attachments: ["ns/vlan10", "other/vlan20"])
        #expect(conditions.map(\.type) == ["Ready"] && conditions[0].category == Condition.Category.required)
    }

    @Test("missing, ambiguous and unnamed sources and missing NADs are Critical, with the items named")
    func networkProblems() {
        let map = Self.networkMap([
            (SourceReference(id: "subnet-9"), .init(type: "pod")),
            (SourceReference(name: "db"), .init(type: "pod")),
            (SourceReference(), .init(type: "pod")),
            (SourceReference(id: "subnet-1"), .init(type: "multus", name: "gone")),
        ])
        let conditions = MapValidator.network(map, networks: Self.networks, attachments: [])
        let found = conditions.map { "\($0.type)/\($0.reason ?? ""): \(($0.items ?? []).joined(separator: ","))" }
        #expect(
            found == [
                "SourceNetworkNotValid/NotSet: (empty)", "SourceNetworkNotValid/NotFound: subnet-9",
                "SourceNetworkNotValid/Ambiguous: db", "DestinationNetworkNotValid/NotFound: ns/gone",
            ])
        #expect(conditions.allSatisfy { $0.category == Condition.Category.critical })
    }

    @Test("a storage map with an unknown volume type or storage class is not Ready")
    func storage() {
        let map = StorageMap(
            metadata: ObjectMeta(name: "s", namespace: "ns"),
            spec: .init(
                provider: Self.providers,
                map: [
                    .init(source: SourceReference(name: "gp3"), destination: .init(storageClass: "gp3-csi")),
                    .init(source: SourceReference(name: "io9"), destination: .init(storageClass: "missing")),
                ]))
        let storages: [JSONValue] = [["id": "gp3", "name": "gp3"]]
        let conditions = MapValidator.storage(map, storages: storages, storageClasses: ["gp3-csi"])
        #expect(
            conditions.map { "\($0.type)/\($0.reason ?? "")" }
                == ["SourceStorageNotValid/NotFound", "DestinationStorageNotValid/NotFound"])
        let fixed = MapValidator.storage(
            map, storages: storages + [["id": "io9", "name": "io9"]],
            storageClasses: ["gp3-csi", "missing"])
        #expect(fixed.map(\.type) == ["Ready"])
    }

    @Test(
        "destinations that ask for modes other than Block / ReadWriteOnce are named in a warning; the map stays Ready")
    func storageModes() {
        let map = StorageMap(
            metadata: ObjectMeta(name: "s", namespace: "ns"),
            spec: .init(
                provider: Self.providers,
                map: [
                    .init(source: SourceReference(name: "gp3"), destination: .init(storageClass: "gp3-csi")),
                    .init(
                        source: SourceReference(name: "gp2"),
                        destination: .init(
                            storageClass: "gp3-csi", volumeMode: "Block",
                            accessMode: "ReadWriteOnce")),
                    .init(
                        source: SourceReference(name: "st1"),
                        destination: .init(storageClass: "gp3-csi", volumeMode: "Filesystem")),
                    .init(
                        source: SourceReference(name: "io2"),
                        destination: .init(storageClass: "gp3-csi", accessMode: "ReadWriteMany")),
                ]))
        let storages: [JSONValue] = ["gp3", "gp2", "st1", "io2"].map { ["id": .string($0), "name": .string($0)] }
        let conditions = MapValidator.storage(map, storages: storages, storageClasses: ["gp3-csi"])
        let warned = conditions.first { $0.type == "StorageModeNotHonoured" }
        #expect(warned?.category == Condition.Category.warn && warned?.reason == "NotHonoured")
        #expect(
            warned?.items == ["st1 -> gp3-csi: volumeMode Filesystem", "io2 -> gp3-csi: accessMode ReadWriteMany"],
            "\(String(describing: warned))")
        #expect(conditions.isTrue("Ready"), "as upstream, which binds them as Block too")
        #expect(MapValidator.unsupportedModes(.init(storageClass: "c", volumeMode: "", accessMode: "")) == nil)
    }

    @Test("unusable providers are named before anything else")
    func providerProblems() {
        #expect(
            MapValidator.providers(
                sourceExists: true, sourceReady: true, destinationExists: true,
                reference: Self.providers, namespace: "ns") == nil)
        let blocked = MapValidator.providers(
            sourceExists: true, sourceReady: false, destinationExists: false,
            reference: Self.providers, namespace: "ns")
        #expect(blocked?.map(\.type) == ["SourceProviderNotReady", "DestinationProviderNotValid"])
        #expect(blocked?.first?.message?.contains("ns/ec2") == true)
    }
}
