import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

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
