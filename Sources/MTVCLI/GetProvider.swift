import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv get provider [NAME...]`: a table, JSON or YAML; `-w` keeps printing changes.
struct GetProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "List providers.", aliases: ["providers"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Provider names (all when omitted).")
    var names: [String] = []

    @Flag(name: [.customShort("A"), .long], help: "List providers in every namespace.")
    var allNamespaces = false

    @Option(name: [.short, .long], help: "Output format: table, wide, json or yaml.")
    var output: OutputFormat = .table

    @Flag(name: [.short, .long], help: "After listing, print each change.")
    var watch = false

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = allNamespaces ? nil : configuration.namespace
            var providers = try await client.list(Provider.self, namespace: namespace).items
            if !names.isEmpty {
                let missing = names.filter { name in !providers.contains { $0.metadata.name == name } }
                guard missing.isEmpty else {
                    throw ProviderMessages.notFound(missing, in: namespace.map { [$0] } ?? [])
                }
                providers = providers.filter { names.contains($0.metadata.name ?? "") }
            }
            switch output {
            case .json, .yaml:
                print(Printer.document(try providers.map { try JSONValue(encoding: $0) }, format: output))
            case .table, .wide:
                var table = ProviderTable(allNamespaces: allNamespaces, wide: output == .wide)
                providers.forEach { table.add($0) }
                print(providers.isEmpty ? "No providers found in \(namespace ?? "any namespace")." : table.render())
            }
            guard watch else { return }
            flushOutput()
            let start = try await client.list(ResourceType.providers, namespace: namespace).resourceVersion
            for try await event in client.watch(.providers, namespace: namespace, from: start, timeoutSeconds: 3600) {
                let provider: Provider = try event.object.decode()
                guard names.isEmpty || names.contains(provider.metadata.name ?? "") else { continue }
                var table = ProviderTable(allNamespaces: allNamespaces, wide: output == .wide)
                table.add(provider, deleted: event.kind == .deleted)
                print(table.render(headers: false))
                flushOutput()
            }
        }
    }
}
