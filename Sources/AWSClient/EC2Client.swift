import AsyncHTTPClient
import Foundation
import Logging

/// Typed EC2 calls over `AWSQueryClient`. Describe calls page through every result.
public struct EC2Client: Sendable {
    /// The EC2 API version every request sends.
    public static let apiVersion = "2016-11-15"
    /// The transport this client sends through.
    public let query: AWSQueryClient

    /// Creates a client for a region; `endpoint` overrides the region's endpoint.
    public init(
        region: AWSRegion, credentials: any CredentialProvider, endpoint: URL? = nil, http: HTTPClient = .shared,
        policy: RetryPolicy = RetryPolicy(), time: any TimeSource = SystemTimeSource(),
        headers: [(String, String)] = [],
        trust: EndpointTrust = .system, logger: Logger = Logger(label: "aws.ec2")
    ) {
        query = AWSQueryClient(
            service: "ec2", apiVersion: Self.apiVersion, region: region,
            endpoint: endpoint ?? region.endpoint(service: "ec2"), credentials: credentials, http: http,
            policy: policy, time: time, headers: headers, trust: trust, logger: logger)
    }

    /// The largest page most Describe calls may ask for (DescribeVolumes allows 500, DescribeInstanceTypes 100).
    static let pageSize = 1000
    /// The most IDs one Describe call carries.
    static let idsPerCall = 200

    // MARK: Instances

    /// Instances by ID and/or filter; all of them when both are empty.
    public func describeInstances(ids: [String] = [], filters: [EC2Filter] = []) async throws -> [Instance] {
        try await describe("DescribeInstances", idName: "InstanceId", ids: ids, filters: filters) { root in
            try root.items("reservationSet").flatMap { reservation in
                try reservation.items("instancesSet").map {
                    var instance = try $0.decode(Instance.self)
                    instance.ownerID = reservation.string("ownerId")
                    return instance
                }
            }
        }
    }

    /// Stops instances; returns each one's state change.
    public func stopInstances(ids: [String], force: Bool = false) async throws -> [InstanceStateChange] {
        var parameters = QueryParameters()
        parameters.set("InstanceId", list: ids)
        if force { parameters.set("Force", true) }
        return try await query.execute("StopInstances", parameters) {
            try $0.items("instancesSet", as: InstanceStateChange.self)
        }
    }

    /// Starts instances; returns each one's state change.
    public func startInstances(ids: [String]) async throws -> [InstanceStateChange] {
        var parameters = QueryParameters()
        parameters.set("InstanceId", list: ids)
        return try await query.execute("StartInstances", parameters) {
            try $0.items("instancesSet", as: InstanceStateChange.self)
        }
    }

    /// Instance type details (vCPUs, memory, boot modes) for the named types.
    public func describeInstanceTypes(_ types: [String]) async throws -> [InstanceTypeInfo] {
        try await describe("DescribeInstanceTypes", idName: "InstanceType", ids: types, chunkSize: 100, pageSize: 100) {
            try $0.items("instanceTypeSet", as: InstanceTypeInfo.self)
        }
    }

    /// Images by ID.
    public func describeImages(ids: [String]) async throws -> [Image] {
        try await describe("DescribeImages", idName: "ImageId", ids: ids, pageSize: nil) {
            try $0.items("imagesSet", as: Image.self)
        }
    }

    // MARK: Volumes

    /// Volumes by ID and/or filter.
    public func describeVolumes(ids: [String] = [], filters: [EC2Filter] = []) async throws -> [Volume] {
        try await describe("DescribeVolumes", idName: "VolumeId", ids: ids, filters: filters, pageSize: 500) {
            try $0.items("volumeSet", as: Volume.self)
        }
    }

    /// Status checks of volumes.
    public func describeVolumeStatus(ids: [String] = []) async throws -> [VolumeStatusItem] {
        try await describe("DescribeVolumeStatus", idName: "VolumeId", ids: ids, pageSize: nil) {
            try $0.items("volumeStatusSet", as: VolumeStatusItem.self)
        }
    }

    /// Creates a volume; the same `clientToken` never creates a second one.
    public func createVolume(_ input: CreateVolumeInput) async throws -> Volume {
        var parameters = QueryParameters()
        parameters.set("AvailabilityZone", input.availabilityZone)
        parameters.set("SnapshotId", input.snapshotID)
        parameters.set("Size", input.size)
        parameters.set("VolumeType", input.volumeType)
        parameters.set("Iops", input.iops)
        parameters.set("Throughput", input.throughput)
        parameters.set("Encrypted", input.encrypted)
        parameters.set("KmsKeyId", input.kmsKeyID)
        parameters.set("ClientToken", input.clientToken)
        parameters.set(tagSpecifications: input.tagSpecifications)
        return try await query.execute("CreateVolume", parameters) { try $0.decode(Volume.self) }
    }

    /// Deletes a volume.
    public func deleteVolume(id: String) async throws {
        var parameters = QueryParameters()
        parameters.set("VolumeId", id)
        _ = try await query.execute("DeleteVolume", parameters)
    }

    // MARK: Snapshots

    /// Snapshots by ID and/or filter. Use the `owner-id` filter for "ours": some endpoints ignore `OwnerIds`.
    public func describeSnapshots(
        ids: [String] = [], filters: [EC2Filter] = [], ownerIDs: [String] = []
    )
        async throws -> [Snapshot]
    {
        var owners = QueryParameters()
        owners.set("Owner", list: ownerIDs)
        return try await describe("DescribeSnapshots", idName: "SnapshotId", ids: ids, filters: filters, extra: owners)
        {
            try $0.items("snapshotSet", as: Snapshot.self)
        }
    }

    /// Snapshots every EBS volume of an instance at one point in time (crash-consistent, all or nothing).
    public func createSnapshots(
        instanceID: String, excludeBootVolume: Bool = false, description: String? = nil,
        tagSpecifications: [TagSpecification] = [], copyTagsFromSource: Bool = false
    ) async throws -> [SnapshotInfo] {
        var parameters = QueryParameters()
        parameters.set("InstanceSpecification.InstanceId", instanceID)
        parameters.set("InstanceSpecification.ExcludeBootVolume", excludeBootVolume)
        parameters.set("Description", description)
        parameters.set(tagSpecifications: tagSpecifications)
        if copyTagsFromSource { parameters.set("CopyTagsFromSource", "volume") }
        return try await query.execute("CreateSnapshots", parameters) {
            try $0.items("snapshotSet", as: SnapshotInfo.self)
        }
    }

    /// Snapshots one volume.
    public func createSnapshot(
        volumeID: String, description: String? = nil, tags: [Tag] = []
    ) async throws
        -> Snapshot
    {
        var parameters = QueryParameters()
        parameters.set("VolumeId", volumeID)
        parameters.set("Description", description)
        if !tags.isEmpty { parameters.set(tagSpecifications: [TagSpecification(resourceType: "snapshot", tags: tags)]) }
        return try await query.execute("CreateSnapshot", parameters) { try $0.decode(Snapshot.self) }
    }

    /// Copies a snapshot from another region into this client's region; returns the new snapshot's ID.
    public func copySnapshot(
        sourceRegion: String, sourceSnapshotID: String, description: String? = nil, encrypted: Bool? = nil,
        kmsKeyID: String? = nil, tags: [Tag] = []
    ) async throws -> String {
        var parameters = QueryParameters()
        parameters.set("SourceRegion", sourceRegion)
        parameters.set("SourceSnapshotId", sourceSnapshotID)
        parameters.set("Description", description)
        parameters.set("Encrypted", encrypted)
        parameters.set("KmsKeyId", kmsKeyID)
        if !tags.isEmpty { parameters.set(tagSpecifications: [TagSpecification(resourceType: "snapshot", tags: tags)]) }
        let root = try await query.execute("CopySnapshot", parameters)
        guard let id = root.string("snapshotId") else {
            throw AWSError(
                code: .malformedResponse, message: "no snapshotId in the answer", operation: "ec2:CopySnapshot")
        }
        return id
    }

    /// Deletes a snapshot.
    public func deleteSnapshot(id: String) async throws {
        var parameters = QueryParameters()
        parameters.set("SnapshotId", id)
        _ = try await query.execute("DeleteSnapshot", parameters)
    }

    /// The account IDs allowed to create volumes from a snapshot.
    public func describeSnapshotCreateVolumePermissions(snapshotID: String) async throws -> [String] {
        var parameters = QueryParameters()
        parameters.set("SnapshotId", snapshotID)
        parameters.set("Attribute", "createVolumePermission")
        let root = try await query.execute("DescribeSnapshotAttribute", parameters)
        return root.items("createVolumePermission").compactMap { $0.string("userId") }
    }

    /// Shares (`add`) or unshares (`remove`) a snapshot with accounts, in the `OperationType` + `UserId.N` form.
    public func modifySnapshotCreateVolumePermission(
        snapshotID: String, operation: PermissionOperation, accountIDs: [String]
    ) async throws {
        var parameters = QueryParameters()
        parameters.set("SnapshotId", snapshotID)
        parameters.set("Attribute", "createVolumePermission")
        parameters.set("OperationType", operation.rawValue)
        parameters.set("UserId", list: accountIDs)
        _ = try await query.execute("ModifySnapshotAttribute", parameters)
    }

    // MARK: Tags and network

    /// Adds or overwrites tags on resources.
    public func createTags(resourceIDs: [String], tags: [Tag]) async throws {
        var parameters = QueryParameters()
        parameters.set("ResourceId", list: resourceIDs)
        parameters.set(tags: tags)
        _ = try await query.execute("CreateTags", parameters)
    }

    /// Subnets by ID and/or filter.
    public func describeSubnets(ids: [String] = [], filters: [EC2Filter] = []) async throws -> [Subnet] {
        try await describe("DescribeSubnets", idName: "SubnetId", ids: ids, filters: filters) {
            try $0.items("subnetSet", as: Subnet.self)
        }
    }

    /// VPCs by ID and/or filter.
    public func describeVpcs(ids: [String] = [], filters: [EC2Filter] = []) async throws -> [Vpc] {
        try await describe("DescribeVpcs", idName: "VpcId", ids: ids, filters: filters) {
            try $0.items("vpcSet", as: Vpc.self)
        }
    }

    /// The region's availability zones.
    public func describeAvailabilityZones(names: [String] = []) async throws -> [AvailabilityZone] {
        var parameters = QueryParameters()
        parameters.set("ZoneName", list: names)
        return try await query.execute("DescribeAvailabilityZones", parameters) {
            try $0.items("availabilityZoneInfo", as: AvailabilityZone.self)
        }
    }

    /// The one path of every Describe call: IDs in chunks (`idName.N`), filters, `MaxResults` when no IDs are
    /// given and the call pages by size, and `NextToken` until the last page.
    private func describe<Item>(
        _ action: String, idName: String, ids: [String], filters: [EC2Filter] = [], extra: QueryParameters = .init(),
        chunkSize: Int = idsPerCall, pageSize: Int? = pageSize, items: (XMLNode) throws -> [Item]
    ) async throws -> [Item] {
        let chunks =
            ids.isEmpty
            ? [[]]
            : stride(from: 0, to: ids.count, by: chunkSize).map {
                Array(ids[$0..<min($0 + chunkSize, ids.count)])
            }
        var all: [Item] = []
        for chunk in chunks {
            all += try await Paginator.collect { token in
                var parameters = extra
                parameters.set(idName, list: chunk)
                parameters.set(filters: filters)
                if chunk.isEmpty, let pageSize { parameters.set("MaxResults", pageSize) }
                parameters.set("NextToken", token)
                return try await query.execute(action, parameters) { root in (try items(root), root.string("nextToken"))
                }
            }
        }
        return all
    }
}

/// Adds or removes a permission.
public enum PermissionOperation: String, Sendable {
    case add, remove
}

/// The parameters of CreateVolume.
public struct CreateVolumeInput: Sendable, Equatable {
    public var availabilityZone: String
    public var snapshotID: String?
    public var size: Int?
    public var volumeType: String?
    public var iops: Int?
    public var throughput: Int?
    public var encrypted: Bool?
    public var kmsKeyID: String?
    /// Makes the call idempotent: a retry with the same token returns the first volume.
    public var clientToken: String?
    public var tagSpecifications: [TagSpecification]

    /// Creates the input for a volume in `availabilityZone`.
    public init(
        availabilityZone: String, snapshotID: String? = nil, size: Int? = nil, volumeType: String? = nil,
        iops: Int? = nil, throughput: Int? = nil, encrypted: Bool? = nil, kmsKeyID: String? = nil,
        clientToken: String? = nil, tagSpecifications: [TagSpecification] = []
    ) {
        self.availabilityZone = availabilityZone
        self.snapshotID = snapshotID
        self.size = size
        self.volumeType = volumeType
        self.iops = iops
        self.throughput = throughput
        self.encrypted = encrypted
        self.kmsKeyID = kmsKeyID
        self.clientToken = clientToken
        self.tagSpecifications = tagSpecifications
    }
}
