import AWSClient
import Foundation
import Logging

/// Collects one EC2 provider's inventory: every Describe the inventory needs, concurrently and paged, then one
/// transaction. A failed pass keeps the last good data.
public struct Collector: Sendable {
    public let provider: String
    let ec2: EC2Client
    /// The account whose snapshots count as ours (`owner-id` filter).
    let ownerAccount: String
    let store: InventoryStore
    let logger: Logger

    /// Creates a collector for the provider with this UID.
    public init(provider: String, ec2: EC2Client, ownerAccount: String, store: InventoryStore, logger: Logger) {
        self.provider = provider
        self.ec2 = ec2
        self.ownerAccount = ownerAccount
        self.store = store
        self.logger = logger
    }

    /// Runs one pass and writes it.
    @discardableResult
    public func collect() async throws -> InventoryStore.PassSummary {
        var pass = InventoryBuilder.Snapshot()
        async let instances = ec2.describeInstances()
        async let volumes = ec2.describeVolumes()
        async let subnets = ec2.describeSubnets()
        async let vpcs = ec2.describeVpcs()
        async let snapshots = ec2.describeSnapshots(filters: [EC2Filter("owner-id", [ownerAccount])])
        async let zones = ec2.describeAvailabilityZones()
        pass.instances = try await instances.filter { $0.state.name != "terminated" }
        let types = Array(Set(pass.instances.map(\.instanceType))).sorted()
        let images = Array(Set(pass.instances.compactMap(\.imageID))).sorted()
        async let typeInfo = types.isEmpty ? [] : ec2.describeInstanceTypes(types)
        async let imageInfo = images.isEmpty ? [] : Self.images(images, ec2: ec2)
        pass.volumes = try await volumes
        pass.subnets = try await subnets
        pass.vpcs = try await vpcs
        pass.snapshots = try await snapshots
        pass.zones = try await zones
        pass.instanceTypes = try await typeInfo
        pass.images = try await imageInfo
        let summary = try await store.replace(provider: provider, records: try InventoryBuilder.records(from: pass))
        logger.debug(
            "inventory pass",
            metadata: [
                "provider": "\(provider)", "added": "\(summary.added)", "updated": "\(summary.updated)",
                "removed": "\(summary.removed)",
            ])
        return summary
    }

    /// Images in use; an image that was deregistered meanwhile must not fail the pass.
    static func images(_ ids: [String], ec2: EC2Client) async throws -> [Image] {
        do {
            return try await ec2.describeImages(ids: ids)
        } catch let error as AWSError where error.isNotFound || error.code == "InvalidAMIID.Malformed" {
            return []
        }
    }
}
