import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv delete hook NAME...`: hooks no plan names.
struct DeleteHook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Delete hooks that no plan uses.", aliases: ["hooks"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Hook names.")
    var names: [String] = []

    func validate() throws {
        guard !names.isEmpty else { throw CommonMessages.noNames("hooks", verb: "delete") }
    }

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            for name in names {
                _ = try await client.get(Hook.self, name: name, namespace: namespace)
                let users = try await HookUsers.plans(naming: name, namespace: namespace, client: client)
                guard users.isEmpty else { throw HookMessages.inUse(name, plans: users.map(\.plan)) }
                try await client.delete(Hook.resourceType, name: name, namespace: namespace)
                print("hook/\(name) deleted")
            }
        }
    }
}
