import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv delete provider NAME...`: the Provider and the Secret it owns.
struct DeleteProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "Delete providers and the Secrets they own.", aliases: ["providers"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Provider names.")
    var names: [String]

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            for name in names {
                let provider = try await client.get(Provider.self, name: name, namespace: namespace)
                try await client.delete(provider)
                // The garbage collector would remove the owned Secret; deleting it here does not depend on one.
                if let secretName = provider.spec.secret.name,
                    let secret = try? await client.get(
                        Secret.self, name: secretName, namespace: provider.spec.secret.namespace ?? namespace),
                    secret.metadata.ownerReferences?.contains(where: { $0.uid == provider.metadata.uid }) == true
                {
                    try await client.delete(secret)
                }
                print("provider/\(name) deleted")
            }
        }
    }
}
