import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

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
        guard !names.isEmpty else { throw CommonMessages.noNames("mappings", verb: "delete") }
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
                    throw MappingMessages.inUse(name, plans: users.compactMap(\.metadata.name))
                }
                try await client.delete(kind.resource, name: name, namespace: configuration.namespace)
                print("\(kind.kindName.lowercased())/\(name) deleted")
            }
        }
    }
}
