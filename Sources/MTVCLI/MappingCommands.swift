import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

/// The kind of a mapping on the command line.
enum MappingKind: String, ExpressibleByArgument, CaseIterable {
    case network, storage

    var resource: ResourceType { self == .network ? .networkMaps : .storageMaps }
    var kindName: String { self == .network ? "NetworkMap" : "StorageMap" }
}

/// `kubectl mtv create mapping network|storage NAME`: a NetworkMap or StorageMap from explicit pairs.
struct CreateMapping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping", abstract: "Create a network or storage mapping from SOURCE:TARGET pairs.",
        discussion: """
            network pairs: SUBNET:TARGET, where SUBNET is a subnet ID or Name tag and TARGET is default (the pod \
            network), ignored, a NetworkAttachmentDefinition name or namespace/name.
            storage pairs: TYPE:CLASS[;volumeMode=Block][;accessMode=ReadWriteOnce], where TYPE is an EBS volume \
            type (gp3, gp2, io2, io1, st1, sc1, standard); EBS volumes are bound Block-mode ReadWriteOnce, so other \
            modes are refused.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "network or storage.")
    var kind: MappingKind

    @Argument(help: "The mapping's name.")
    var name: String

    @Option(name: [.customShort("S"), .long], help: "The source (EC2) provider: name or namespace/name.")
    var source: String

    @Option(name: [.customShort("T"), .long], help: "The target provider (default: host).")
    var target = "host"

    @Option(help: "Network pairs (for network mappings).")
    var networkPairs: String?

    @Option(help: "Storage pairs (for storage mappings).")
    var storagePairs: String?

    @Option(help: "The namespace NetworkAttachmentDefinitions without a namespace are in (default: the mapping's).")
    var targetNamespace: String?

    @OptionGroup var inventory: InventoryOptions

    @Flag(help: "Print the mapping instead of creating it.")
    var dryRun = false

    @Option(name: [.short, .long], help: "Output format for --dry-run: yaml or json.")
    var output: OutputFormat?

    func validate() throws {
        switch kind {
        case .network:
            guard networkPairs != nil else { throw ValidationError("a network mapping needs --network-pairs") }
            guard storagePairs == nil else { throw ValidationError("--storage-pairs belongs to storage mappings") }
        case .storage:
            guard storagePairs != nil else { throw ValidationError("a storage mapping needs --storage-pairs") }
            guard networkPairs == nil else { throw ValidationError("--network-pairs belongs to network mappings") }
        }
        try DryRunOutput.check(output, dryRun: dryRun)
    }

    func run() async throws {
        try Names.check(name, what: "mapping")
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            let sourceProvider = try await ProviderLookup.resolve(source, namespace: namespace, client: client)
            let targetProvider = try await ProviderLookup.resolve(target, namespace: namespace, client: client)
            let providers = ProviderPair(source: sourceProvider.reference, destination: targetProvider.reference)
            let metadata = ObjectMeta(name: name, namespace: namespace)
            let object: JSONValue
            switch kind {
            case .network:
                let reader = try await InventoryReader.open(
                    client: client, configuration: configuration, provider: sourceProvider.metadata.name ?? "",
                    namespace: sourceProvider.metadata.namespace ?? namespace, options: inventory)
                let subnets = try await reader.records("networks").filter { $0["networkType"] == "subnet" }
                let pairs = try MappingPairs.network(
                    networkPairs!, subnets: subnets, targetNamespace: targetNamespace ?? namespace)
                object = try JSONValue(
                    encoding: NetworkMap(metadata: metadata, spec: .init(provider: providers, map: pairs)))
            case .storage:
                let classes = try await PlanInputs.storageClasses(client)
                let pairs = try MappingPairs.storage(storagePairs!, classes: classes, requireEBS: false)
                for pair in pairs {
                    let info = classes.first { $0.name == pair.destination.storageClass }
                    if let info, info.provisioner != StorageClass.ebsProvisioner {
                        warn(
                            "storage class \(info.name) uses \(info.provisioner); plans with this mapping are not "
                                + "Ready, because EC2 disks move as EBS volumes (\(StorageClass.ebsProvisioner))")
                    }
                }
                object = try JSONValue(
                    encoding: StorageMap(metadata: metadata, spec: .init(provider: providers, map: pairs)))
            }
            if dryRun {
                print(Printer.document([object], format: output ?? .yaml))
                return
            }
            _ = try await client.create(kind.resource, object, namespace: namespace)
            print("\(kind.kindName.lowercased())/\(name) created")
        }
    }
}

/// `kubectl mtv get mapping [network|storage] [NAME]`.
struct GetMapping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping", abstract: "List network and storage mappings.", aliases: ["mappings"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "network or storage (both when omitted).")
    var kind: MappingKind?

    @Argument(help: "A mapping name.")
    var name: String?

    @Flag(name: [.customShort("A"), .long], help: "List mappings in every namespace.")
    var allNamespaces = false

    @Option(name: [.short, .long], help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = allNamespaces ? nil : configuration.namespace
            var rows: [(MappingKind, JSONValue)] = []
            for each in kind.map({ [$0] }) ?? MappingKind.allCases {
                for item in try await client.listAll(each.resource, namespace: namespace).items
                where name == nil || item[path: ["metadata", "name"]]?.stringValue == name {
                    rows.append((each, item))
                }
            }
            if let name, rows.isEmpty {
                throw CLIError("mapping '\(name)' not found in namespace \(namespace ?? "any")")
            }
            switch output {
            case .json, .yaml: print(Printer.document(rows.map(\.1), format: output))
            case .table, .wide:
                var table = TableWriter(
                    (allNamespaces ? ["NAMESPACE"] : [])
                        + ["NAME", "TYPE", "SOURCE", "TARGET", "PAIRS", "STATUS", "OWNER", "AGE"])
                for (kind, item) in rows {
                    let pairs = item[path: ["spec", "map"]]?.arrayValue ?? []
                    let owner = item[path: ["metadata", "ownerReferences"]]?.arrayValue?.first
                    table.add(
                        (allNamespaces ? [item[path: ["metadata", "namespace"]]?.stringValue ?? ""] : []) + [
                            item[path: ["metadata", "name"]]?.stringValue ?? "", kind.rawValue,
                            item[path: ["spec", "provider", "source", "name"]]?.stringValue ?? "",
                            item[path: ["spec", "provider", "destination", "name"]]?.stringValue ?? "",
                            "\(pairs.count)", Self.status(item),
                            owner.map { "\($0["kind"]?.stringValue ?? "")/\($0["name"]?.stringValue ?? "")" } ?? "-",
                            age(since: item[path: ["metadata", "creationTimestamp"]]?.stringValue),
                        ])
                }
                print(rows.isEmpty ? "No mappings found in \(namespace ?? "any namespace")." : table.render())
            }
        }
    }
}

extension GetMapping {
    /// `Ready`, `Not Ready` (with what blocks it), or empty before the controller has looked at the map.
    static func status(_ map: JSONValue) -> String {
        let conditions = map[path: ["status", "conditions"]]?.arrayValue ?? []
        if conditions.contains(where: { $0["type"]?.stringValue == ConditionType.ready && $0["status"] == "True" }) {
            return "Ready"
        }
        let blocking = conditions.filter { $0["category"] == "Critical" }.compactMap { $0["type"]?.stringValue }
        return blocking.isEmpty ? "" : "Not Ready (\(blocking.joined(separator: ", ")))"
    }
}

/// `kubectl mtv describe mapping network|storage NAME`.
struct DescribeMapping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mapping", abstract: "Show a mapping and its pairs.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "network or storage.")
    var kind: MappingKind

    @Argument(help: "The mapping's name.")
    var name: String

    func run() async throws {
        try await global.withClient { client, configuration in
            let item = try await client.get(kind.resource, name: name, namespace: configuration.namespace)
            print(MappingView.describe(item, kind: kind))
        }
    }
}

/// `kubectl mtv delete mapping network|storage NAME...`.
struct DeleteMapping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping", abstract: "Delete mappings.", aliases: ["mappings"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "network or storage.")
    var kind: MappingKind

    @Argument(help: "Mapping names.")
    var names: [String] = []

    func validate() throws {
        guard !names.isEmpty else { throw ValidationError("name the mappings to delete") }
    }

    func run() async throws {
        try await global.withClient { client, configuration in
            let plans = try await client.list(Plan.self, namespace: configuration.namespace).items
            for name in names {
                _ = try await client.get(kind.resource, name: name, namespace: configuration.namespace)
                let users = plans.filter { plan in
                    let reference = kind == .network ? plan.spec.map.network : plan.spec.map.storage
                    return reference.name == name
                        && (reference.namespace ?? configuration.namespace) == configuration.namespace
                }
                guard users.isEmpty else {
                    throw CLIError(
                        "mapping \(name) is used by plan \(users.compactMap(\.metadata.name).joined(separator: ", ")); "
                            + "delete the plan first")
                }
                try await client.delete(kind.resource, name: name, namespace: configuration.namespace)
                print("\(kind.kindName.lowercased())/\(name) deleted")
            }
        }
    }
}

/// How mappings print in `describe`.
enum MappingView {
    /// The mapping's providers and a table of its pairs.
    static func describe(_ item: JSONValue, kind: MappingKind) -> String {
        var lines = [
            "Name:       \(item[path: ["metadata", "name"]]?.stringValue ?? "")",
            "Namespace:  \(item[path: ["metadata", "namespace"]]?.stringValue ?? "")",
            "Type:       \(kind.rawValue)",
            "Source:     \(reference(item[path: ["spec", "provider", "source"]]))",
            "Target:     \(reference(item[path: ["spec", "provider", "destination"]]))",
            "Created:    \(item[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "")",
            "", "Pairs:",
        ]
        lines.append(pairsTable(item, kind: kind).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        return lines.joined(separator: "\n")
    }

    /// The pairs as a table (SOURCE → TARGET).
    static func pairsTable(_ item: JSONValue, kind: MappingKind) -> String {
        var table = TableWriter(
            kind == .network
                ? ["SOURCE", "NAME", "TARGET"] : ["SOURCE", "STORAGE CLASS", "VOLUME MODE", "ACCESS MODE"])
        for pair in item[path: ["spec", "map"]]?.arrayValue ?? [] {
            let source = pair["source"]
            let destination = pair["destination"]
            switch kind {
            case .network:
                let type = destination?["type"]?.stringValue ?? ""
                let target =
                    type == "multus"
                    ? "\(destination?["namespace"]?.stringValue.map { $0 + "/" } ?? "")\(destination?["name"]?.stringValue ?? "")"
                    : type
                table.add([
                    source?["id"]?.stringValue ?? source?["name"]?.stringValue ?? "",
                    source?["name"]?.stringValue ?? "-", target,
                ])
            case .storage:
                table.add([
                    source?["name"]?.stringValue ?? source?["id"]?.stringValue ?? "",
                    destination?["storageClass"]?.stringValue ?? "", destination?["volumeMode"]?.stringValue ?? "-",
                    destination?["accessMode"]?.stringValue ?? "-",
                ])
            }
        }
        return table.rows.isEmpty ? "(no pairs)" : table.render()
    }

    static func reference(_ value: JSONValue?) -> String {
        "\(value?["namespace"]?.stringValue.map { $0 + "/" } ?? "")\(value?["name"]?.stringValue ?? "")"
    }
}

/// `--dry-run` and `-o` go together, as in kubectl-mtv.
enum DryRunOutput {
    static func check(_ output: OutputFormat?, dryRun: Bool) throws {
        guard let output else { return }
        guard dryRun else { throw ValidationError("--output can only be used with --dry-run") }
        guard [.yaml, .json].contains(output) else { throw ValidationError("--output must be yaml or json") }
    }
}

/// A line on standard error.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("Warning: \(message)\n".utf8))
}

extension Provider {
    /// A reference to this provider for maps and plans.
    var reference: ObjectReference {
        var reference = ObjectReference(name: metadata.name, namespace: metadata.namespace, uid: metadata.uid)
        reference.kind = "Provider"
        reference.apiVersion = apiVersion
        return reference
    }
}
