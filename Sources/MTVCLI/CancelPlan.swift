import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv cancel plan NAME --vms a,b`: stops those VMs of the running migration and cleans up after them.
struct CancelPlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Cancel VMs of a running migration.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The plan's name.")
    var name: String

    @Option(help: "VM names or instance IDs to cancel (comma-separated), or 'all'.")
    var vms: String

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            let plan = try await client.get(Plan.self, name: name, namespace: namespace)
            let requested = vms.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            guard !requested.isEmpty else { throw PlanMessages.noVMs }
            let selected: [Plan.VM]
            if requested == ["all"] {
                selected = plan.spec.vms
            } else {
                selected = try requested.map { entry in
                    guard let vm = plan.spec.vms.first(where: { $0.id == entry || $0.name == entry }) else {
                        throw PlanMessages.vmNotInPlan(
                            entry, plan: name, known: plan.spec.vms.map { "\($0.name ?? "") (\($0.id ?? ""))" })
                    }
                    return vm
                }
            }
            let migrations = try await client.list(Migration.self, namespace: namespace).items
            guard let running = migrations.first(where: { $0.spec.plan.name == name && $0.status?.completed == nil })
            else {
                throw PlanMessages.noRunningMigration(name)
            }
            _ = try await client.update(Migration.self, name: running.metadata.name ?? "", namespace: namespace) {
                migration in
                var cancel = migration.spec.cancel ?? []
                for vm in selected where !cancel.contains(where: { $0.id == vm.id }) {
                    cancel.append(Plan.VM(id: vm.id, name: vm.name))
                }
                migration.spec.cancel = cancel
            }
            print(
                "migration/\(running.metadata.name ?? ""): canceling "
                    + selected.compactMap(\.name).joined(separator: ", "))
        }
    }
}
