import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv patch hook NAME`: change a hook's image, playbook, service account or deadline.
struct PatchHook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Change a hook (an empty --playbook or --service-account removes it).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The hook's name.")
    var name: String

    @OptionGroup var settings: HookOptions

    func validate() throws {
        guard !settings.isEmpty else { throw CommonMessages.nothingToChange }
    }

    func run() async throws {
        try await global.withClient { client, configuration in
            _ = try await client.update(Hook.self, name: name, namespace: configuration.namespace) { hook in
                try settings.apply(to: &hook.spec)
            }
            print("hook/\(name) patched")
        }
    }
}
