import MTVAPI

/// A NetworkMap's or StorageMap's own checks, apart from any plan: each source is in the source provider's
/// inventory and each destination is in the cluster. The conditions carry upstream's types
/// (`SourceNetworkNotValid`, `DestinationStorageNotValid`, …) with the offending references as items, and the map is
/// Ready when none of them is Critical.
public enum MapValidator {
    /// The condition types a map's validation writes.
    public static let conditionTypes: Set<String> = [
        ConditionType.ready, "SourceProviderNotValid", "SourceProviderNotReady", "DestinationProviderNotValid",
        "SourceNetworkNotValid", "DestinationNetworkNotValid", "SourceStorageNotValid", "DestinationStorageNotValid",
        modesConditionType,
    ]

    /// A network map's conditions: sources among `networks` (the inventory's subnets and VPCs), multus destinations
    /// among `attachments` (`namespace/name` of NetworkAttachmentDefinitions).
    public static func network(_ map: NetworkMap, networks: [JSONValue], attachments: Set<String>) -> [Condition] {
        var conditions = sources(map.spec.map.map(\.source), among: networks, what: "network")
        let namespace = map.metadata.namespace ?? ""
        var missing: [String] = []
        var unqualified: [String] = []
        for destination in map.spec.map.map(\.destination) where destination.type == "multus" {
            let parts = (destination.name ?? "").split(separator: "/", maxSplits: 1).map(String.init)
            let (nadNamespace, name) =
                parts.count == 2 ? (parts[0], parts[1]) : (destination.namespace ?? namespace, parts.first ?? "")
            if name.isEmpty {
                unqualified.append("multus destination without a name")
            } else if !attachments.contains("\(nadNamespace)/\(name)") {
                missing.append("\(nadNamespace)/\(name)")
            }
        }
        if !missing.isEmpty {
            conditions.append(
                critical(
                    "DestinationNetworkNotValid", "NotFound",
                    "NetworkAttachmentDefinitions the map sends networks to do not exist", items: missing))
        }
        if !unqualified.isEmpty {
            conditions.append(
                critical(
                    "DestinationNetworkNotValid", "NotSet",
                    "multus destinations need the name of a NetworkAttachmentDefinition", items: unqualified))
        }
        return ready(conditions, "The network map is ready.")
    }

    /// A storage map's conditions: sources among `storages` (the inventory's EBS volume types), destinations among
    /// `storageClasses`.
    public static func storage(_ map: StorageMap, storages: [JSONValue], storageClasses: Set<String>) -> [Condition] {
        var conditions = sources(map.spec.map.map(\.source), among: storages, what: "storage")
        let missing = map.spec.map.map(\.destination.storageClass).filter {
            !$0.isEmpty && !storageClasses.contains($0)
        }
        if !missing.isEmpty {
            conditions.append(
                critical(
                    "DestinationStorageNotValid", "NotFound",
                    "storage classes the map sends disks to do not exist", items: Array(Set(missing)).sorted()))
        }
        let unsupported = map.spec.map.compactMap { pair in
            unsupportedModes(pair.destination).map {
                "\(describe(pair.source)) -> \(pair.destination.storageClass): \($0)"
            }
        }
        if !unsupported.isEmpty {
            conditions.append(
                Condition(
                    type: modesConditionType, category: Condition.Category.warn, reason: "NotHonoured",
                    message: "\(modesMessage): \(unsupported.joined(separator: "; "))", items: unsupported))
        }
        let unset = map.spec.map.filter { $0.destination.storageClass.isEmpty && $0.source.type != "default" }
        if !unset.isEmpty {
            conditions.append(
                critical(
                    "DestinationStorageNotValid", "NotSet",
                    "pairs without a destination storage class", items: unset.map { describe($0.source) }))
        }
        return ready(conditions, "The storage map is ready.")
    }

    /// Why the modes a storage-map destination asks for cannot be honoured (nil when unset or Block /
    /// ReadWriteOnce): each new EBS volume is bound as one Block-mode ReadWriteOnce PV, which is also what the EBS CSI
    /// driver's StorageProfile says, so an unset mode means exactly these.
    public static func unsupportedModes(_ destination: StorageMap.Destination) -> String? {
        var problems: [String] = []
        if let mode = destination.volumeMode, !mode.isEmpty, mode != "Block" { problems.append("volumeMode \(mode)") }
        if let mode = destination.accessMode, !mode.isEmpty, mode != "ReadWriteOnce" {
            problems.append("accessMode \(mode)")
        }
        return problems.isEmpty ? nil : problems.joined(separator: ", ")
    }

    /// What happens to modes `unsupportedModes` reports, and what to do. They warn rather than block: upstream's
    /// CLI writes Filesystem for st1, sc1 and standard, and upstream's controller binds them as Block too.
    public static let modesMessage =
        "EC2 disks are bound as Block-mode ReadWriteOnce EBS volumes, so other volume "
        + "or access modes are not honoured (leave them unset, or set Block and ReadWriteOnce)"

    /// The Warn condition that names destinations whose modes are not honoured (on maps and on plans).
    public static let modesConditionType = "StorageModeNotHonoured"

    /// The conditions a map gets when its providers are not usable: nil when both are.
    public static func providers(
        sourceExists: Bool, sourceReady: Bool, destinationExists: Bool, reference: ProviderPair, namespace: String
    ) -> [Condition]? {
        func key(_ reference: ObjectReference) -> String {
            "\(reference.namespace ?? namespace)/\(reference.name ?? "")"
        }
        var conditions: [Condition] = []
        if !sourceExists {
            conditions.append(
                critical(
                    "SourceProviderNotValid", "NotFound",
                    "the source provider \(key(reference.source)) does not exist", items: []))
        } else if !sourceReady {
            conditions.append(
                critical(
                    "SourceProviderNotReady", "NotReady",
                    "the source provider \(key(reference.source)) is not Ready; the map is checked again when it is",
                    items: []))
        }
        if !destinationExists {
            conditions.append(
                critical(
                    "DestinationProviderNotValid", "NotFound",
                    "the destination provider \(key(reference.destination)) does not exist", items: []))
        }
        return conditions.isEmpty ? nil : conditions
    }

    /// Sources must name something (by ID or name), exactly one thing of the inventory.
    private static func sources(
        _ references: [SourceReference], among records: [JSONValue], what: String
    ) -> [Condition] {
        var notSet: [String] = []
        var notFound: [String] = []
        var ambiguous: [String] = []
        for reference in references where reference.type != "default" {
            let id = reference.id.flatMap { $0.isEmpty ? nil : $0 }
            let name = reference.name.flatMap { $0.isEmpty ? nil : $0 }
            guard id != nil || name != nil else {
                notSet.append(describe(reference))
                continue
            }
            let matches = records.filter { record in
                if let id { return record["id"]?.stringValue == id }
                return record["name"]?.stringValue == name || record["id"]?.stringValue == name
            }
            if matches.isEmpty { notFound.append(describe(reference)) }
            if matches.count > 1 { ambiguous.append(describe(reference)) }
        }
        let type = what == "network" ? "SourceNetworkNotValid" : "SourceStorageNotValid"
        var conditions: [Condition] = []
        if !notSet.isEmpty {
            conditions.append(critical(type, "NotSet", "source \(what)s need an id or a name", items: notSet))
        }
        if !notFound.isEmpty {
            conditions.append(
                critical(
                    type, "NotFound",
                    "source \(what)s that are not in the source provider's inventory", items: notFound))
        }
        if !ambiguous.isEmpty {
            conditions.append(
                critical(
                    type, "Ambiguous",
                    "source \(what) names that match more than one \(what); use the id", items: ambiguous))
        }
        return conditions
    }

    private static func describe(_ reference: SourceReference) -> String {
        reference.id ?? reference.name ?? reference.type ?? "(empty)"
    }

    private static func critical(_ type: String, _ reason: String, _ message: String, items: [String]) -> Condition {
        Condition(
            type: type, category: Condition.Category.critical, reason: reason,
            message: items.isEmpty ? message : "\(message): \(items.joined(separator: ", "))",
            items: items.isEmpty ? nil : items)
    }

    private static func ready(_ conditions: [Condition], _ message: String) -> [Condition] {
        guard !conditions.contains(where: { $0.category == Condition.Category.critical }) else { return conditions }
        return conditions + [
            Condition(
                type: ConditionType.ready, category: Condition.Category.required, reason: "Ready", message: message)
        ]
    }
}
