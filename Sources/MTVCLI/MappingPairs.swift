import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

/// Parses `--network-pairs` and `--storage-pairs` into map pairs, resolving sources against the inventory.
enum MappingPairs {
    /// The EBS volume types a storage pair may name.
    static let volumeTypes = ["gp3", "gp2", "io2", "io1", "st1", "sc1", "standard"]

    /// `SOURCE:TARGET,…` where SOURCE is a subnet ID or Name tag and TARGET is `default` (the pod network),
    /// `ignored`, a NetworkAttachmentDefinition `name` (in `targetNamespace`) or `namespace/name`.
    static func network(
        _ text: String, subnets: [JSONValue], targetNamespace: String
    ) throws
        -> [MapSpec<NetworkMap.Destination>.Pair]
    {
        var seen = Set<String>()
        return try entries(text, flag: "--network-pairs", example: "subnet-0abc:default").map { source, target in
            let matches = subnets.filter { $0["id"]?.stringValue == source || $0["name"]?.stringValue == source }
            guard let subnet = matches.first, let id = subnet["id"]?.stringValue else {
                throw MappingMessages.unknownSubnet(
                    source, known: subnets.compactMap { $0["id"]?.stringValue }.sorted())
            }
            guard matches.count == 1 else {
                throw MappingMessages.ambiguousSubnet(source)
            }
            guard seen.insert(id).inserted else { throw MappingMessages.subnetTwice(id) }
            let destination: NetworkMap.Destination
            switch target {
            case "default", "pod": destination = NetworkMap.Destination(type: "pod")
            case "ignored": destination = NetworkMap.Destination(type: "ignored")
            default:
                let parts = target.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard parts.count <= 2, parts.allSatisfy(Names.isValidObjectName) else {
                    throw MappingMessages.badNetworkTarget(target)
                }
                destination = NetworkMap.Destination(
                    type: "multus", name: parts.last!, namespace: parts.count == 2 ? parts[0] : targetNamespace)
            }
            let name = subnet["name"]?.stringValue.flatMap { $0 == id ? nil : $0 }
            return .init(source: SourceReference(id: id, name: name), destination: destination)
        }
    }

    /// `TYPE:CLASS[;volumeMode=Block][;accessMode=ReadWriteOnce],…` where TYPE is an EBS volume type (other modes are
    /// parsed, then refused by name: typed here, they would only be warned about on the map).
    static func storage(
        _ text: String, classes: [AutomaticMapping.StorageClassInfo], requireEBS: Bool
    ) throws
        -> [MapSpec<StorageMap.Destination>.Pair]
    {
        var seen = Set<String>()
        return try entries(text, flag: "--storage-pairs", example: "gp3:gp3-csi").map { source, target in
            let type = source.lowercased()
            guard volumeTypes.contains(type) else {
                throw MappingMessages.notVolumeType(source, types: volumeTypes)
            }
            guard seen.insert(type).inserted else {
                throw MappingMessages.volumeTypeTwice(type)
            }
            let options = target.split(separator: ";").map(String.init)
            let className = options.first ?? ""
            var destination = StorageMap.Destination(
                storageClass: className, volumeMode: "Block", accessMode: "ReadWriteOnce")
            for option in options.dropFirst() {
                let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
                switch (parts.first, parts.count == 2 ? parts[1] : nil) {
                case ("volumeMode", let mode?) where ["Block", "Filesystem"].contains(mode):
                    destination.volumeMode = mode
                case ("accessMode", let mode?) where ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"].contains(mode):
                    destination.accessMode = mode
                default:
                    throw MappingMessages.badStorageOption(option)
                }
            }
            if let modes = MapValidator.unsupportedModes(destination) {
                throw MappingMessages.unsupportedModes(type, storageClass: className, modes: modes)
            }
            guard let info = classes.first(where: { $0.name == className }) else {
                throw MappingMessages.noStorageClass(className, known: classes.map(\.name).sorted())
            }
            if requireEBS, info.provisioner != StorageClass.ebsProvisioner {
                throw MappingMessages.notEBSClass(
                    className, provisioner: info.provisioner, needed: StorageClass.ebsProvisioner)
            }
            return .init(source: SourceReference(name: type), destination: destination)
        }
    }

    /// Splits `a:b,c:d` into pairs, with a message that shows the expected form.
    private static func entries(_ text: String, flag: String, example: String) throws -> [(String, String)] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw MappingMessages.emptyPairs(flag, example: example) }
        return try items.map { item in
            guard let colon = item.firstIndex(of: ":") else {
                throw MappingMessages.notAPair(flag, item: item, example: example)
            }
            let source = String(item[..<colon]).trimmingCharacters(in: .whitespaces)
            let target = String(item[item.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            guard !source.isEmpty, !target.isEmpty else {
                throw MappingMessages.notAPair(flag, item: item, example: example)
            }
            return (source, target)
        }
    }
}

/// Finds providers the way kubectl-mtv does, plus the `host` provider in the controller's namespace.
enum ProviderLookup {
    /// The namespace the controller keeps the `host` provider in.
    static var controllerNamespace: String {
        ProcessInfo.processInfo.environment["MTV_CONTROLLER_NAMESPACE"] ?? "openshift-mtv"
    }

    /// `name` or `namespace/name`; a bare name is looked up in `namespace`, then in the controller's namespace.
    static func resolve(_ text: String, namespace: String, client: KubernetesClient) async throws -> Provider {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, parts.allSatisfy(Names.isValidObjectName) else {
            throw ProviderMessages.badReference(text)
        }
        let candidates =
            parts.count == 2
            ? [(parts[0], parts[1])]
            : [(namespace, parts[0])] + (namespace == controllerNamespace ? [] : [(controllerNamespace, parts[0])])
        for (candidateNamespace, name) in candidates {
            do {
                return try await client.get(Provider.self, name: name, namespace: candidateNamespace)
            } catch let error as KubernetesError where error.isNotFound {
                continue
            }
        }
        throw ProviderMessages.notFound([text], in: candidates.map(\.0))
    }
}
