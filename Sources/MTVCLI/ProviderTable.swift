import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

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
