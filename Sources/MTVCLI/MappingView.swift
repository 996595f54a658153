import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

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
