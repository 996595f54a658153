import AWSClient
import ArgumentParser
import EC2Provider
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

/// `kubectl mtv cleanup --provider P [--dry-run]`: finds, by tag, this cluster's migration snapshots no running
/// migration needs and migration volumes no PersistentVolume uses, and deletes them. Resources tagged by another
/// cluster (or by none) are left alone and counted.
struct Cleanup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove orphaned migration snapshots and unused volumes of an EC2 provider (found by tag).",
        discussion: """
            A snapshot is orphaned when the migration that made it is not running; a volume is unused when it is \
            available (attached to nothing) and no PersistentVolume points at it. Only resources tagged with this \
            cluster's UID (forklift.konveyor.io/cluster-uid, the kube-system namespace's UID) are touched, so \
            clusters sharing an AWS account never delete each other's. Uses the provider's credentials from its \
            Secret; prints IDs, never keys.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .long], help: "The EC2 provider.")
    var provider: String

    @Flag(help: "Only list what would be deleted.")
    var dryRun = false

    func run() async throws {
        try await global.withClient { client, configuration in
            let found = try await ProviderLookup.resolve(provider, namespace: configuration.namespace, client: client)
            guard found.spec.type == "ec2" else {
                throw ProviderMessages.notEC2(provider, type: found.spec.type)
            }
            let config = try await Self.configuration(of: found, client: client)
            let (source, target) = (config.sourceClient(), config.targetClient())
            let cluster: String
            do {
                cluster = try await client.clusterUID()
            } catch {
                throw ProviderMessages.noClusterUID("\(error)")
            }

            let migrations = try await client.list(Migration.self).items
            let running = Set(migrations.filter { $0.status?.completed == nil }.compactMap(\.metadata.uid))
            let usedVolumes = Set(
                try await client.list(PersistentVolume.self).items.compactMap {
                    $0.spec[path: ["csi", "volumeHandle"]]?.stringValue
                })
            let tagged = [EC2Filter("tag-key", [MigrationLabels.migrationUID])]
            let allSnapshots = try await source.describeSnapshots(filters: tagged)
            let allVolumes = try await target.describeVolumes(filters: tagged + [EC2Filter("status", ["available"])])
            let ours = { (tags: [Tag]) in tags[key: MigrationLabels.clusterUID] == cluster }
            let others = allSnapshots.filter { !ours($0.tags) }.count + allVolumes.filter { !ours($0.tags) }.count
            let snapshots = allSnapshots.filter {
                ours($0.tags) && !running.contains($0.tags[key: MigrationLabels.migrationUID] ?? "")
            }
            let volumes = allVolumes.filter {
                ours($0.tags) && !usedVolumes.contains($0.volumeID)
                    && !running.contains($0.tags[key: MigrationLabels.migrationUID] ?? "")
            }
            if others > 0 {
                print("Left alone: \(others) migration snapshot(s) or volume(s) tagged by another cluster or by none.")
            }
            guard !snapshots.isEmpty || !volumes.isEmpty else {
                print("No orphaned migration snapshots or unused migration volumes for provider \(provider).")
                return
            }
            var table = TableWriter(["TYPE", "ID", "VM", "MIGRATION", "SIZE", dryRun ? "ACTION" : "RESULT"])
            for snapshot in snapshots {
                let result =
                    dryRun ? "would delete" : await outcome { try await source.deleteSnapshot(id: snapshot.snapshotID) }
                table.add([
                    "snapshot", snapshot.snapshotID, snapshot.tags[key: MigrationLabels.vmID] ?? "-",
                    snapshot.tags[key: MigrationLabels.migrationUID] ?? "-",
                    snapshot.volumeSize.map { "\($0)Gi" } ?? "-", result,
                ])
            }
            for volume in volumes {
                let result =
                    dryRun ? "would delete" : await outcome { try await target.deleteVolume(id: volume.volumeID) }
                table.add([
                    "volume", volume.volumeID, volume.tags[key: MigrationLabels.vmID] ?? "-",
                    volume.tags[key: MigrationLabels.migrationUID] ?? "-", "\(volume.size)Gi", result,
                ])
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

    /// The provider's AWS configuration from its Secret, read as the controller reads it.
    static func configuration(of provider: Provider, client: KubernetesClient) async throws -> EC2ProviderConfig {
        let name = provider.metadata.name ?? ""
        guard let secretName = provider.spec.secret.name, !secretName.isEmpty else {
            throw ProviderMessages.noSecret(name)
        }
        let secret = try await client.get(
            Secret.self, name: secretName, namespace: provider.spec.secret.namespace ?? provider.metadata.namespace)
        do {
            return try EC2ProviderConfig.resolve(provider: provider, secret: secret)
        } catch {
            throw ProviderMessages.unresolved(name, error.message)
        }
    }
}
