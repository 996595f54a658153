import AWSClient
import KubernetesClient
import MTVAPI

/// The EC2 calls a migration makes: `EC2Client` in the controller, an in-memory account in unit tests.
protocol MigrationEC2: Sendable {
    func describeInstances(ids: [String], filters: [EC2Filter]) async throws -> [Instance]
    func stopInstances(ids: [String], force: Bool) async throws -> [InstanceStateChange]
    func startInstances(ids: [String]) async throws -> [InstanceStateChange]
    func createSnapshots(
        instanceID: String, excludeBootVolume: Bool, description: String?, tagSpecifications: [TagSpecification],
        copyTagsFromSource: Bool
    ) async throws -> [SnapshotInfo]
    func describeSnapshots(ids: [String], filters: [EC2Filter], ownerIDs: [String]) async throws -> [Snapshot]
    func modifySnapshotCreateVolumePermission(
        snapshotID: String, operation: PermissionOperation, accountIDs: [String])
        async throws
    func copySnapshot(
        sourceRegion: String, sourceSnapshotID: String, description: String?, encrypted: Bool?, kmsKeyID: String?,
        tags: [Tag]
    ) async throws -> String
    func deleteSnapshot(id: String) async throws
    func createVolume(_ input: CreateVolumeInput) async throws -> Volume
    func describeVolumes(ids: [String], filters: [EC2Filter]) async throws -> [Volume]
    func deleteVolume(id: String) async throws
}

extension EC2Client: MigrationEC2 {}

extension MigrationEC2 {
    /// Instances by ID.
    func describeInstances(ids: [String]) async throws -> [Instance] {
        try await describeInstances(ids: ids, filters: [])
    }

    /// Stops instances (not forced).
    func stopInstances(ids: [String]) async throws -> [InstanceStateChange] {
        try await stopInstances(ids: ids, force: false)
    }

    /// One crash-consistent snapshot set of an instance's volumes, tagged.
    func createSnapshots(
        instanceID: String, description: String, tagSpecifications: [TagSpecification]
    )
        async throws -> [SnapshotInfo]
    {
        try await createSnapshots(
            instanceID: instanceID, excludeBootVolume: false, description: description,
            tagSpecifications: tagSpecifications, copyTagsFromSource: false)
    }

    /// Snapshots by ID.
    func describeSnapshots(ids: [String]) async throws -> [Snapshot] {
        try await describeSnapshots(ids: ids, filters: [], ownerIDs: [])
    }

    /// Snapshots matching filters (tags, for a migration's own).
    func describeSnapshots(filters: [EC2Filter]) async throws -> [Snapshot] {
        try await describeSnapshots(ids: [], filters: filters, ownerIDs: [])
    }

    /// Volumes by ID.
    func describeVolumes(ids: [String]) async throws -> [Volume] {
        try await describeVolumes(ids: ids, filters: [])
    }
}

/// The Kubernetes calls a migration makes: `KubernetesClient` in the controller, an in-memory cluster in unit tests.
protocol MigrationCluster: Sendable {
    func create(
        _ resource: ResourceType, _ object: JSONValue, namespace: String?, dryRun: Bool
    ) async throws -> JSONValue
    func get(_ resource: ResourceType, name: String, namespace: String?, subresource: String?) async throws -> JSONValue
    func patch(
        _ resource: ResourceType, name: String, namespace: String?, _ patch: Patch, subresource: String?
    )
        async throws -> JSONValue
    func delete(
        _ resource: ResourceType, name: String, namespace: String?, options: DeleteOptions, ignoreNotFound: Bool
    ) async throws
    func listAll(
        _ resource: ResourceType, namespace: String?, options: ListOptions
    ) async throws -> ObjectList<JSONValue>
    func logs(pod: String, namespace: String, container: String?, tailLines: Int?) async throws -> String
}

extension KubernetesClient: MigrationCluster {}

extension MigrationCluster {
    /// Creates an object.
    func create(_ resource: ResourceType, _ object: JSONValue, namespace: String?) async throws -> JSONValue {
        try await create(resource, object, namespace: namespace, dryRun: false)
    }

    /// Reads an object.
    func get(_ resource: ResourceType, name: String, namespace: String?) async throws -> JSONValue {
        try await get(resource, name: name, namespace: namespace, subresource: nil)
    }

    /// Patches an object.
    func patch(_ resource: ResourceType, name: String, namespace: String?, _ patch: Patch) async throws -> JSONValue {
        try await self.patch(resource, name: name, namespace: namespace, patch, subresource: nil)
    }

    /// Deletes an object in the background; `ignoreNotFound` makes a missing one no error.
    func delete(_ resource: ResourceType, name: String, namespace: String?, ignoreNotFound: Bool) async throws {
        try await delete(
            resource, name: name, namespace: namespace, options: DeleteOptions(),
            ignoreNotFound: ignoreNotFound)
    }

    /// Every object of a kind (all pages).
    func listAll(_ resource: ResourceType, namespace: String?) async throws -> ObjectList<JSONValue> {
        try await listAll(resource, namespace: namespace, options: ListOptions())
    }
}
