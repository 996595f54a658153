import AWSClient
import Foundation
import MTVAPI

@testable import MTVController

/// An in-memory EC2 account for unit tests of the migration phases: instances, snapshots and volumes with the
/// states AWS gives them, idempotent CreateVolume by ClientToken, NotFound for unknown IDs, and failures a test
/// arms per action. State moves only when the test calls `settle()`, so every test decides what AWS has finished.
actor FakeEC2: MigrationEC2 {
    private(set) var instances: [String: Instance] = [:]
    private(set) var snapshots: [String: Snapshot] = [:]
    private(set) var volumes: [String: Volume] = [:]
    /// Accounts each snapshot is shared with.
    private(set) var sharedWith: [String: Set<String>] = [:]
    /// Every call made, by action name (`CreateVolume`), in order.
    private(set) var calls: [String] = []
    private var tokens: [String: String] = [:]
    private var armed: [String: [any Error]] = [:]
    private var counter = 0
    /// The account and region CopySnapshot copies from (a target region's account has one).
    private let origin: FakeEC2?

    /// An account with one instance in `state` whose volumes are `volumes` (ID and size in GiB).
    init(instance id: String, state: String = "running", volumes: [(id: String, sizeGiB: Int)]) throws {
        origin = nil
        let mappings: [JSONValue] = volumes.enumerated().map { index, volume in
            [
                "DeviceName": .string("/dev/sd\(Character(UnicodeScalar(97 + index)!))"),
                "Ebs": ["VolumeId": .string(volume.id)],
            ]
        }
        instances[id] = try JSONValue.object([
            "InstanceId": .string(id), "InstanceType": "m5.large", "State": ["Code": 16, "Name": .string(state)],
            "BlockDeviceMappings": .array(mappings), "NetworkInterfaces": [], "Tags": [],
        ]).decode()
        for volume in volumes {
            self.volumes[volume.id] = try Self.volume(
                id: volume.id, sizeGiB: volume.sizeGiB, type: "gp3", state: "in-use")
        }
    }

    /// An empty account in another region that copies snapshots from `origin`.
    init(copiesFrom origin: FakeEC2) {
        self.origin = origin
    }

    /// Makes the next `times` calls of `action` (`StopInstances`) throw `error`.
    func arm(_ action: String, _ error: any Error, times: Int = 1) {
        armed[action, default: []] += Array(repeating: error, count: times)
    }

    /// Lets AWS finish what it was doing: stopping instances stop, pending snapshots complete, new volumes become
    /// available.
    func settle() {
        for (id, instance) in instances where instance.state.name == "stopping" {
            instances[id]?.state.name = "stopped"
        }
        for (id, snapshot) in snapshots where snapshot.state == "pending" {
            snapshots[id]?.state = "completed"
            snapshots[id]?.progress = "100%"
        }
        for (id, volume) in volumes where volume.state == "creating" { volumes[id]?.state = "available" }
    }

    /// Puts a snapshot in `state` with AWS's progress text.
    func setSnapshot(_ id: String, state: String, progress: String? = nil, message: String? = nil) {
        snapshots[id]?.state = state
        snapshots[id]?.progress = progress
        snapshots[id]?.stateMessage = message
    }

    /// Sets a volume's state (`error`, say).
    func setVolume(_ id: String, state: String) { volumes[id]?.state = state }

    /// Sets an instance's state (a user starting or terminating it meanwhile).
    func setInstance(_ id: String, state: String) { instances[id]?.state.name = state }

    /// How many calls of `action` were made.
    func count(_ action: String) -> Int { calls.filter { $0 == action }.count }

    // MARK: MigrationEC2

    func describeInstances(ids: [String], filters: [EC2Filter]) async throws -> [Instance] {
        try record("DescribeInstances")
        return try ids.map { id in
            guard let instance = instances[id] else { throw Self.notFound("InvalidInstanceID.NotFound", id) }
            return instance
        }
    }

    func stopInstances(ids: [String], force: Bool) async throws -> [InstanceStateChange] {
        try record("StopInstances")
        return try ids.map { try change(instance: $0, to: "stopping") }
    }

    func startInstances(ids: [String]) async throws -> [InstanceStateChange] {
        try record("StartInstances")
        return try ids.map { try change(instance: $0, to: "running") }
    }

    func createSnapshots(
        instanceID: String, excludeBootVolume: Bool, description: String?, tagSpecifications: [TagSpecification],
        copyTagsFromSource: Bool
    ) async throws -> [SnapshotInfo] {
        try record("CreateSnapshots")
        guard let instance = instances[instanceID] else {
            throw Self.notFound("InvalidInstanceID.NotFound", instanceID)
        }
        return try instance.blockDeviceMappings.compactMap(\.ebs?.volumeID).map { volumeID in
            let id = next("snap")
            let fields: [String: JSONValue] = [
                "SnapshotId": .string(id), "VolumeId": .string(volumeID), "State": "pending",
                "VolumeSize": .number(Double(volumes[volumeID]?.size ?? 1)),
                "Tags": try JSONValue(encoding: tagSpecifications.flatMap(\.tags)),
            ]
            snapshots[id] = try JSONValue.object(fields.merging(["Progress": "0%"]) { old, _ in old }).decode()
            return try JSONValue.object(fields).decode()
        }
    }

    func describeSnapshots(ids: [String], filters: [EC2Filter], ownerIDs: [String]) async throws -> [Snapshot] {
        try record("DescribeSnapshots")
        let found = try ids.map { id in
            guard let snapshot = snapshots[id] else { throw Self.notFound("InvalidSnapshot.NotFound", id) }
            return snapshot
        }
        guard ids.isEmpty else { return found }
        return snapshots.values.filter { snapshot in
            filters.allSatisfy { filter in
                guard filter.name.hasPrefix("tag:") else { return true }
                return filter.values.contains(snapshot.tags[key: String(filter.name.dropFirst(4))] ?? "")
            }
        }.sorted { $0.snapshotID < $1.snapshotID }
    }

    func modifySnapshotCreateVolumePermission(
        snapshotID: String, operation: PermissionOperation, accountIDs: [String]
    )
        async throws
    {
        try record("ModifySnapshotAttribute")
        guard snapshots[snapshotID] != nil else { throw Self.notFound("InvalidSnapshot.NotFound", snapshotID) }
        sharedWith[snapshotID, default: []].formUnion(accountIDs)
    }

    func copySnapshot(
        sourceRegion: String, sourceSnapshotID: String, description: String?, encrypted: Bool?, kmsKeyID: String?,
        tags: [Tag]
    ) async throws -> String {
        try record("CopySnapshot")
        guard let source = await origin?.snapshots[sourceSnapshotID] else {
            throw Self.notFound("InvalidSnapshot.NotFound", sourceSnapshotID)
        }
        let id = next("snap")
        snapshots[id] = try JSONValue.object([
            "SnapshotId": .string(id), "State": "pending", "Progress": "0%",
            "VolumeSize": .number(Double(source.volumeSize ?? 1)), "Encrypted": .bool(encrypted ?? false),
            "KmsKeyId": kmsKeyID.map(JSONValue.string) ?? .null, "Tags": try JSONValue(encoding: tags),
        ]).decode()
        return id
    }

    func deleteSnapshot(id: String) async throws {
        try record("DeleteSnapshot")
        guard snapshots.removeValue(forKey: id) != nil else { throw Self.notFound("InvalidSnapshot.NotFound", id) }
    }

    func createVolume(_ input: CreateVolumeInput) async throws -> Volume {
        try record("CreateVolume")
        if let token = input.clientToken, let id = tokens[token], let volume = volumes[id] { return volume }
        guard let snapshotID = input.snapshotID, snapshots[snapshotID] != nil else {
            throw Self.notFound("InvalidSnapshot.NotFound", input.snapshotID ?? "")
        }
        let id = next("vol")
        var volume = try Self.volume(
            id: id, sizeGiB: input.size ?? 1, type: input.volumeType ?? "gp2", state: "creating")
        volume.snapshotID = snapshotID
        volume.availabilityZone = input.availabilityZone
        volume.kmsKeyID = input.kmsKeyID
        volume.tags = input.tagSpecifications.flatMap(\.tags)
        volumes[id] = volume
        if let token = input.clientToken { tokens[token] = id }
        return volume
    }

    func describeVolumes(ids: [String], filters: [EC2Filter]) async throws -> [Volume] {
        try record("DescribeVolumes")
        return try ids.map { id in
            guard let volume = volumes[id] else { throw Self.notFound("InvalidVolume.NotFound", id) }
            return volume
        }
    }

    func deleteVolume(id: String) async throws {
        try record("DeleteVolume")
        guard volumes.removeValue(forKey: id) != nil else { throw Self.notFound("InvalidVolume.NotFound", id) }
    }

    // MARK: Helpers

    /// Records a call, throwing the failure armed for it.
    private func record(_ action: String) throws {
        calls.append(action)
        if var queue = armed[action], !queue.isEmpty {
            let error = queue.removeFirst()
            armed[action] = queue
            throw error
        }
    }

    private func next(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)-fake\(counter)"
    }

    private func change(instance id: String, to state: String) throws -> InstanceStateChange {
        guard let instance = instances[id] else { throw Self.notFound("InvalidInstanceID.NotFound", id) }
        instances[id]?.state.name = state
        return try JSONValue.object([
            "InstanceId": .string(id), "PreviousState": .string(instance.state.name), "CurrentState": .string(state),
        ]).decode()
    }

    private static func volume(id: String, sizeGiB: Int, type: String, state: String) throws -> Volume {
        try JSONValue.object([
            "VolumeId": .string(id), "Size": .number(Double(sizeGiB)), "VolumeType": .string(type),
            "State": .string(state), "Encrypted": false, "Attachments": [], "Tags": [],
        ]).decode()
    }

    private static func notFound(_ code: AWSErrorCode, _ id: String) -> AWSError {
        AWSError(code: code, message: "The ID '\(id)' does not exist", operation: "ec2", httpStatus: 400)
    }
}
