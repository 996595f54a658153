import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

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
            guard networkPairs != nil else { throw MappingMessages.pairsNeeded(.network) }
            guard storagePairs == nil else { throw MappingMessages.pairsOfOtherKind(.storage) }
        case .storage:
            guard storagePairs != nil else { throw MappingMessages.pairsNeeded(.storage) }
            guard networkPairs == nil else { throw MappingMessages.pairsOfOtherKind(.network) }
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
