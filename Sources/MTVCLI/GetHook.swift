import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv get hook [NAME]`.
struct GetHook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "List migration hooks.", aliases: ["hooks"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A hook name.")
    var name: String?

    @Flag(name: [.customShort("A"), .long], help: "List hooks in every namespace.")
    var allNamespaces = false

    @Option(name: [.short, .long], help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = allNamespaces ? nil : configuration.namespace
            let hooks = try await client.list(Hook.self, namespace: namespace).items.filter {
                name == nil || $0.metadata.name == name
            }
            if let name, hooks.isEmpty {
                throw CommonMessages.notFound(
                    "hook", [name], in: [namespace ?? "any namespace"], list: "kubectl mtv get hooks")
            }
            switch output {
            case .json, .yaml: print(Printer.document(try hooks.map { try JSONValue(encoding: $0) }, format: output))
            case .table, .wide:
                var table = TableWriter(
                    (allNamespaces ? ["NAMESPACE"] : []) + [
                        "NAME", "IMAGE", "PLAYBOOK", "SERVICE-ACCOUNT", "DEADLINE", "AGE",
                    ])
                for hook in hooks {
                    table.add(
                        (allNamespaces ? [hook.metadata.namespace ?? ""] : []) + [
                            hook.metadata.name ?? "", hook.spec.image ?? "-",
                            hook.spec.playbook?.isEmpty == false ? "yes" : "no", hook.spec.serviceAccount ?? "-",
                            hook.spec.deadline.map { "\($0)s" } ?? "-", age(since: hook.metadata.creationTimestamp),
                        ])
                }
                print(hooks.isEmpty ? "No hooks found in \(namespace ?? "any namespace")." : table.render())
            }
        }
    }
}
