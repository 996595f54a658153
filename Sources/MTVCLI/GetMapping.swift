import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

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
                throw MappingMessages.notFound(name, kind: kind, namespace: namespace)
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
