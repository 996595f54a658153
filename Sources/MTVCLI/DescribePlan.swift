import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv describe plan NAME`: settings, mappings, VMs and conditions.
struct DescribePlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Show a plan in detail.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The plan's name.")
    var name: String

    @Flag(help: "Show each VM's pipeline.")
    var withVms = false

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            let plan = try await client.get(Plan.self, name: name, namespace: namespace)
            let network = try? await client.get(
                .networkMaps, name: plan.spec.map.network.name ?? "",
                namespace: plan.spec.map.network.namespace ?? namespace)
            let storage = try? await client.get(
                .storageMaps, name: plan.spec.map.storage.name ?? "",
                namespace: plan.spec.map.storage.namespace ?? namespace)
            print(PlanView.describe(plan, network: network, storage: storage, withVMs: withVms))
        }
    }
}
