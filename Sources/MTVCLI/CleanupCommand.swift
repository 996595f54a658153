import AWSClient
import AWSSigV4
import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

/// `kubectl mtv cleanup --provider P [--dry-run]`: finds, by tag, migration snapshots no running migration needs
/// and migration volumes no PersistentVolume uses, and deletes them.
struct Cleanup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove orphaned migration snapshots and unused volumes of an EC2 provider (found by tag).",
        discussion: """
            A snapshot is orphaned when the migration that made it is not running; a volume is unused when it is \
            available (attached to nothing) and no PersistentVolume points at it. Uses the provider's credentials \
            from its Secret; prints IDs, never keys.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .long], help: "The EC2 provider.")
    var provider: String

    @Flag(help: "Only list what would be deleted.")
    var dryRun = false

    func run() async throws {
        try await global.withClient { client, configuration in
            let found = try await ProviderLookup.resolve(provider, namespace: configuration.namespace, client: client)
            guard found.spec.type == "ec2" else { throw CLIError("provider '\(provider)' is of type \(found.spec.type), not ec2") }
            let (source, target) = try await clients(for: found, client: client)

            let migrations = try await client.list(Migration.self).items
            let running = Set(migrations.filter { $0.status?.completed == nil }.compactMap(\.metadata.uid))
            let usedVolumes = Set(try await client.list(PersistentVolume.self).items.compactMap {
                $0.spec[path: ["csi", "volumeHandle"]]?.stringValue
            })
            let tagged = [EC2Filter("tag-key", [MigrationLabels.migrationUID])]
            let snapshots = try await source.describeSnapshots(filters: tagged).filter {
                !running.contains($0.tags[key: MigrationLabels.migrationUID] ?? "")
            }
            let volumes = try await target.describeVolumes(filters: tagged + [EC2Filter("status", ["available"])]).filter {
                !usedVolumes.contains($0.volumeID) && !running.contains($0.tags[key: MigrationLabels.migrationUID] ?? "")
            }
            guard !snapshots.isEmpty || !volumes.isEmpty else {
                print("No orphaned migration snapshots or unused migration volumes for provider \(provider).")
                return
            }
            var table = TableWriter(["TYPE", "ID", "VM", "MIGRATION", "SIZE", dryRun ? "ACTION" : "RESULT"])
            for snapshot in snapshots {
                let result = dryRun ? "would delete" : await outcome { try await source.deleteSnapshot(id: snapshot.snapshotID) }
                table.add(["snapshot", snapshot.snapshotID, snapshot.tags[key: MigrationLabels.vmID] ?? "-",
                    snapshot.tags[key: MigrationLabels.migrationUID] ?? "-", snapshot.volumeSize.map { "\($0)Gi" } ?? "-", result])
            }
            for volume in volumes {
                let result = dryRun ? "would delete" : await outcome { try await target.deleteVolume(id: volume.volumeID) }
                table.add(["volume", volume.volumeID, volume.tags[key: MigrationLabels.vmID] ?? "-",
                    volume.tags[key: MigrationLabels.migrationUID] ?? "-", "\(volume.size)Gi", result])
            }
            print(table.render())
        }
    }

    private func outcome(_ delete: () async throws -> Void) async -> String {
        do {
            try await delete()
            return "deleted"
        } catch let error as AWSError where error.isNotFound {
            return "already gone"
        } catch {
            return "failed: \(error)"
        }
    }

    /// EC2 clients with the provider's source and target keys, at its endpoint.
    private func clients(for provider: Provider, client: KubernetesClient) async throws -> (EC2Client, EC2Client) {
        guard let name = provider.spec.secret.name else { throw CLIError("provider \(self.provider) names no Secret") }
        let secret = try await client.get(Secret.self, name: name, namespace: provider.spec.secret.namespace ?? provider.metadata.namespace)
        guard let regionName = secret.value("region") else { throw CLIError("secret \(name) has no region") }
        let region: AWSRegion
        let endpoint: URL
        do {
            region = try AWSRegion(regionName)
            endpoint = try AWSEndpoint.resolve(service: "ec2", region: region,
                explicit: secret.value("url").flatMap { $0.isEmpty ? nil : $0 } ?? provider.spec.url)
        } catch {
            throw CLIError("provider \(self.provider): \(error.message)")
        }
        func credentials(_ key: String, _ secretKey: String) -> (any CredentialProvider)? {
            guard let id = secret.value(key), let value = secret.value(secretKey), !id.isEmpty, !value.isEmpty else { return nil }
            return StaticCredentialProvider(AWSCredentials(accessKeyID: id, secretAccessKey: value))
        }
        let sourceCredentials = credentials("accessKeyId", "secretAccessKey") ?? CredentialChain.standard(region: region)
        let source = EC2Client(region: region, credentials: sourceCredentials, endpoint: endpoint)
        let target = credentials("targetAccessKeyId", "targetSecretAccessKey").map {
            EC2Client(region: region, credentials: $0, endpoint: endpoint)
        } ?? source
        return (source, target)
    }
}
