import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

/// `kubectl mtv describe hook NAME`: its settings, its playbook, and the plans that run it.
struct DescribeHook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Show a hook, its playbook and the plans that use it.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The hook's name.")
    var name: String

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            let hook = try await client.get(Hook.self, name: name, namespace: namespace)
            let users = try await HookUsers.plans(naming: name, namespace: namespace, client: client)
            var out = [
                "Name:             \(name)", "Namespace:        \(namespace)",
                "Created:          \(hook.metadata.creationTimestamp ?? "")",
                "Image:            \(hook.spec.image ?? "-")",
                "Service account:  \(hook.spec.serviceAccount ?? "(the target namespace's default)")",
                "Deadline:         \(hook.spec.deadline.map { "\($0)s" } ?? "none of its own")",
                "Used by:          "
                    + (users.isEmpty ? "no plan" : users.map(HookUsers.describe).joined(separator: ", ")),
            ]
            if let problem = PlanValidator.problem(of: hook) { out.append("Cannot run:       \(problem)") }
            if let playbook = try? TargetBuilder.playbook(of: hook) {
                out +=
                    ["", "Playbook:"]
                    + playbook.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }
            }
            print(out.joined(separator: "\n"))
        }
    }
}

/// The plans whose VMs name a hook.
enum HookUsers {
    /// Each plan in `namespace` that names hook `name`, with the steps it runs it at.
    static func plans(
        naming name: String, namespace: String, client: KubernetesClient
    ) async throws
        -> [(plan: String, steps: [String])]
    {
        try await client.list(Plan.self, namespace: namespace).items.compactMap { plan in
            let steps = Set(
                plan.spec.vms.flatMap { $0.hooks ?? [] }.filter {
                    PlanValidator.hookKey($0, planNamespace: namespace) == "\(namespace)/\(name)"
                }.compactMap(\.step))
            return steps.isEmpty ? nil : (plan.metadata.name ?? "", steps.sorted())
        }
    }

    /// `plan (PreHook, PostHook)`.
    static func describe(_ user: (plan: String, steps: [String])) -> String {
        "\(user.plan) (\(user.steps.joined(separator: ", ")))"
    }
}
