import ArgumentParser
import Foundation
import InventoryQuery
import KubernetesClient
import MTVAPI

/// `kubectl mtv get inventory RESOURCE [PROVIDER]`: the EC2 inventory, filtered by a query on the server.
struct GetInventory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "List an EC2 provider's inventory (instances, volumes, networks, …).",
        discussion: """
            RESOURCE is ec2-instance, ec2-volume, ec2-volume-type, ec2-network or ec2-snapshot (plurals and the \
            generic vm, network and storage work too). The query language: [select …] [where …] [order by …] \
            [limit N], e.g. -q "where label.Environment = 'production' order by name".
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "What to list.")
    var resource: String

    @Argument(help: "The provider (or use --provider).")
    var providerArgument: String?

    @Option(name: [.short, .customLong("provider")], help: "The provider.")
    var provider: String?

    @Option(name: [.short, .long], help: "A query: [select …] [where …] [order by …] [limit N].")
    var query: String?

    @Option(name: [.short, .long], help: "Output format: table, json, yaml or markdown.")
    var output: InventoryOutput = .table

    @Flag(name: [.short, .long], help: "Refresh the view every few seconds.")
    var watch = false

    @OptionGroup var inventory: InventoryOptions

    func validate() throws {
        guard InventoryResource(argument: resource) != nil else {
            throw InventoryMessages.unknownResource(resource, known: InventoryResource.names)
        }
        guard (providerArgument == nil) != (provider == nil) else {
            throw CommonMessages.nameOnce("provider", argument: "second argument", flag: "--provider")
        }
    }

    func run() async throws {
        let kind = InventoryResource(argument: resource)!
        let parsed: Query?
        do {
            parsed = try query.map { try Query.parse($0) }
        } catch {
            throw InventoryMessages.invalidQuery("\(error)")
        }
        let providerName = provider ?? providerArgument!
        try await global.withClient { client, configuration in
            let reader = try await InventoryReader.open(
                client: client, configuration: configuration, provider: providerName,
                namespace: configuration.namespace,
                options: inventory)
            repeat {
                let records = try await reader.records(kind.collection, query: query)
                if watch { print("\u{1B}[2J\u{1B}[H", terminator: "") }
                print(render(records, kind: kind, query: parsed, provider: providerName))
                flushOutput()
                if watch { try await Task.sleep(nanoseconds: 3_000_000_000) }
            } while watch
        }
    }

    func render(_ records: [JSONValue], kind: InventoryResource, query: Query?, provider: String) -> String {
        switch output {
        case .json: return Printer.json(.array(records))
        case .yaml: return Printer.yaml(.array(records))
        case .table, .markdown:
            guard !records.isEmpty else { return "No \(kind.noun) found for provider \(provider)." }
            typealias Column = (title: String, value: @Sendable (JSONValue) -> JSONValue?, path: String)
            let selected: [Column]? = query.flatMap { query in
                query.select.isEmpty
                    ? nil : query.select.map { item in (item.column.uppercased(), { item.value(in: $0) }, item.column) }
            }
            let columns: [Column] =
                selected
                ?? kind.columns.map { column in
                    (column.title, { InventoryQuery.value(at: column.path, in: $0) }, column.path)
                }
            let rows = records.map { record in columns.map { kind.cell($0.value(record), path: $0.path) } }
            if output == .markdown {
                let header = "| " + columns.map(\.title).joined(separator: " | ") + " |"
                let rule = "|" + String(repeating: "---|", count: columns.count)
                return ([header, rule] + rows.map { "| " + $0.joined(separator: " | ") + " |" }).joined(separator: "\n")
            }
            var table = TableWriter(columns.map(\.title))
            rows.forEach { table.add($0) }
            return table.render()
        }
    }
}
