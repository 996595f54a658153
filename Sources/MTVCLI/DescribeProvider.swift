import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

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
