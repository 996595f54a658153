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
                    throw CLIError(
                        "provider \(missing.joined(separator: ", ")) not found in namespace \(namespace ?? "any")")
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

/// The provider table's columns.
struct ProviderTable {
    let allNamespaces: Bool
    let wide: Bool
    var table: TableWriter

    init(allNamespaces: Bool, wide: Bool) {
        self.allNamespaces = allNamespaces
        self.wide = wide
        var headers = ["NAME", "TYPE", "STATUS", "READY", "CONNECTED", "URL", "AGE"]
        if allNamespaces { headers.insert("NAMESPACE", at: 0) }
        if wide { headers += ["TARGET-AZ", "SOURCE-ACCOUNT"] }
        table = TableWriter(headers)
    }

    mutating func add(_ provider: Provider, deleted: Bool = false) {
        let conditions = provider.status?.conditions ?? []
        var row = [
            provider.metadata.name ?? "", provider.spec.type,
            deleted ? "Deleted" : provider.status?.phase ?? "Pending",
            conditions[type: ConditionType.ready]?.status ?? "False",
            conditions[type: "ConnectionTestSucceeded"]?.status
                ?? (conditions[type: "ConnectionTestFailed"] != nil ? "False" : "Unknown"),
            provider.spec.url ?? "", age(since: provider.metadata.creationTimestamp),
        ]
        if allNamespaces { row.insert(provider.metadata.namespace ?? "", at: 0) }
        if wide {
            row += [
                provider.spec.settings?["target-az"] ?? "",
                provider.metadata.annotations?["ec2.forklift.konveyor.io/source-account-id"] ?? "",
            ]
        }
        table.add(row)
    }

    func render(headers: Bool = true) -> String { table.render(headers: headers) }
}

/// `kubectl mtv describe provider NAME`: settings, secret, accounts and conditions.
struct DescribeProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "provider", abstract: "Show a provider in detail.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The provider's name.")
    var name: String

    func run() async throws {
        try await global.withClient { client, configuration in
            let provider = try await client.get(Provider.self, name: name, namespace: configuration.namespace)
            var lines: [(String, String)] = [
                ("Name", provider.metadata.name ?? ""), ("Namespace", provider.metadata.namespace ?? ""),
                ("Type", provider.spec.type), ("URL", provider.spec.url ?? ""),
                ("Secret", "\(provider.spec.secret.namespace ?? "")/\(provider.spec.secret.name ?? "")"),
                ("Phase", provider.status?.phase ?? "Pending"),
                ("Created", provider.metadata.creationTimestamp ?? ""),
            ]
            for (key, value) in (provider.spec.settings ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append(("Setting \(key)", value))
            }
            if let source = provider.metadata.annotations?["ec2.forklift.konveyor.io/source-account-id"] {
                lines.append(("Source account", source))
            }
            if let target = provider.metadata.annotations?["ec2.forklift.konveyor.io/target-account-id"] {
                lines.append(("Target account", target))
            }
            let width = lines.map(\.0.count).max() ?? 0
            for (key, value) in lines {
                print("\((key + ":").padding(toLength: width + 2, withPad: " ", startingAt: 0))\(value)")
            }
            print("\nConditions:")
            var table = TableWriter(["TYPE", "STATUS", "CATEGORY", "REASON", "MESSAGE"])
            for condition in provider.status?.conditions ?? [] {
                var message = condition.message ?? ""
                if let suggestion = condition.suggestion { message += " (\(suggestion))" }
                table.add([condition.type, condition.status, condition.category, condition.reason ?? "", message])
            }
            print(
                table.rows.isEmpty
                    ? "  none yet" : table.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
    }
}

/// `kubectl mtv delete provider NAME...`: the Provider and the Secret it owns.
struct DeleteProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "Delete providers and the Secrets they own.", aliases: ["providers"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Provider names.")
    var names: [String]

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            for name in names {
                let provider = try await client.get(Provider.self, name: name, namespace: namespace)
                try await client.delete(provider)
                // The garbage collector would remove the owned Secret; deleting it here does not depend on one.
                if let secretName = provider.spec.secret.name,
                    let secret = try? await client.get(
                        Secret.self, name: secretName, namespace: provider.spec.secret.namespace ?? namespace),
                    secret.metadata.ownerReferences?.contains(where: { $0.uid == provider.metadata.uid }) == true
                {
                    try await client.delete(secret)
                }
                print("provider/\(name) deleted")
            }
        }
    }
}
