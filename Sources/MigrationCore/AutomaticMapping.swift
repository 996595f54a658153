import MTVAPI

/// Builds network and storage maps for a plan from the subnets and EBS volume types its VMs use.
public enum AutomaticMapping {
    /// Where the first used subnet goes: the pod network, or a NetworkAttachmentDefinition (`name` or `ns/name`).
    public enum NetworkTarget: Sendable, Equatable {
        case pod
        case multus(namespace: String?, name: String)

        /// Parses `--default-target-network`: `default` (or `pod`) is the pod network, else a NAD.
        public init(_ text: String) {
            if text == "default" || text == "pod" {
                self = .pod
            } else if let slash = text.firstIndex(of: "/") {
                self = .multus(namespace: String(text[..<slash]), name: String(text[text.index(after: slash)...]))
            } else {
                self = .multus(namespace: nil, name: text)
            }
        }

        var destination: NetworkMap.Destination {
            switch self {
            case .pod: NetworkMap.Destination(type: "pod")
            case .multus(let namespace, let name):
                NetworkMap.Destination(type: "multus", name: name, namespace: namespace)
            }
        }
    }

    /// Network pairs: the first used subnet to `first`, the others to `others[subnet]` or `ignored`.
    public static func networkPairs(
        subnets: [String], first: NetworkTarget = .pod, others: [String: NetworkTarget] = [:]
    ) -> [MapSpec<NetworkMap.Destination>.Pair] {
        var seen = Set<String>()
        let ordered = subnets.filter { seen.insert($0).inserted }
        return ordered.enumerated().map { index, subnet in
            let destination =
                index == 0 ? first.destination : others[subnet]?.destination ?? NetworkMap.Destination(type: "ignored")
            return .init(source: SourceReference(id: subnet), destination: destination)
        }
    }

    /// A storage class the storage map may use.
    public struct StorageClassInfo: Sendable, Equatable {
        public var name: String
        public var provisioner: String
        public var isDefault: Bool

        /// Creates the description of a storage class.
        public init(name: String, provisioner: String, isDefault: Bool = false) {
            self.name = name
            self.provisioner = provisioner
            self.isDefault = isDefault
        }
    }

    /// Why storage cannot be mapped.
    public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Storage pairs: each EBS type to the EBS CSI class whose name equals it, starts with it, or has it as a
    /// `-`/`_`/`.` separated token (`gp3` → `gp3`, `gp3-csi`, `ebs-gp3`); `defaultClass` overrides all. A class of
    /// another provisioner is refused: the migrated disks are EBS volumes bound through the EBS CSI driver.
    public static func storagePairs(
        volumeTypes: [String], classes: [StorageClassInfo], defaultClass: String? = nil
    ) throws(StorageError) -> [MapSpec<StorageMap.Destination>.Pair] {
        let ebs = classes.filter { $0.provisioner == StorageClass.ebsProvisioner }
        if let defaultClass {
            guard let chosen = classes.first(where: { $0.name == defaultClass }) else {
                throw StorageError(message: "storage class '\(defaultClass)' does not exist")
            }
            guard chosen.provisioner == StorageClass.ebsProvisioner else {
                throw StorageError(
                    message: "storage class '\(defaultClass)' uses provisioner \(chosen.provisioner); "
                        + "EC2 disks move as EBS volumes, so the class must use \(StorageClass.ebsProvisioner)")
            }
        }
        var seen = Set<String>()
        return try volumeTypes.filter { seen.insert($0).inserted }.map { type throws(StorageError) in
            let name: String
            if let defaultClass {
                name = defaultClass
            } else if let match = bestMatch(type, in: ebs) {
                name = match
            } else {
                let available = ebs.map(\.name).sorted().joined(separator: ", ")
                throw StorageError(
                    message: "no EBS CSI storage class matches volume type \(type) "
                        + (available.isEmpty
                            ? "(the cluster has none; install the EBS CSI driver)" : "(EBS classes: \(available))")
                        + "; pass --default-target-storage-class or --storage-pairs \(type):<class>")
            }
            return .init(source: SourceReference(name: type), destination: StorageMap.Destination(storageClass: name))
        }
    }

    static func bestMatch(_ type: String, in classes: [StorageClassInfo]) -> String? {
        let sorted = classes.sorted { ($0.isDefault ? 0 : 1, $0.name) < ($1.isDefault ? 0 : 1, $1.name) }
        if let exact = sorted.first(where: { $0.name == type }) { return exact.name }
        if let prefix = sorted.first(where: { $0.name.hasPrefix(type + "-") || $0.name.hasPrefix(type + "_") }) {
            return prefix.name
        }
        return sorted.first { $0.name.split(whereSeparator: { "-_.".contains($0) }).contains { $0 == type } }?.name
    }
}
