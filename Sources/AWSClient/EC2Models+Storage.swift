import Foundation

// EBS models: volumes, their status checks and snapshots (see EC2Models.swift for how models read and encode).

/// An EBS volume.
public struct Volume: Codable, Sendable, Hashable, XMLShape {
    public var volumeID: String
    public var size: Int
    public var volumeType: String
    public var state: String
    public var availabilityZone: String?
    public var iops: Int?
    public var throughput: Int?
    public var encrypted: Bool
    public var kmsKeyID: String?
    public var snapshotID: String?
    public var multiAttachEnabled: Bool?
    public var createTime: String?
    public var attachments: [Attachment]
    public var tags: [Tag]

    /// Where a volume is attached.
    public struct Attachment: Codable, Sendable, Hashable, XMLShape {
        public var instanceID: String?
        public var device: String?
        public var state: String?
        public var deleteOnTermination: Bool?

        static let xmlPaths = ["State": "status"]

        enum CodingKeys: String, CodingKey {
            case instanceID = "InstanceId"
            case device = "Device"
            case state = "State"
            case deleteOnTermination = "DeleteOnTermination"
        }
    }

    static let xmlPaths = ["State": "status", "Attachments": "attachmentSet", "Tags": "tagSet"]

    enum CodingKeys: String, CodingKey {
        case volumeID = "VolumeId"
        case size = "Size"
        case volumeType = "VolumeType"
        case state = "State"
        case availabilityZone = "AvailabilityZone"
        case iops = "Iops"
        case throughput = "Throughput"
        case encrypted = "Encrypted"
        case kmsKeyID = "KmsKeyId"
        case snapshotID = "SnapshotId"
        case multiAttachEnabled = "MultiAttachEnabled"
        case createTime = "CreateTime"
        case attachments = "Attachments"
        case tags = "Tags"
    }
}

/// The status checks of a volume (`ok`, `impaired`, `insufficient-data`).
public struct VolumeStatusItem: Codable, Sendable, Hashable, XMLShape {
    public var volumeID: String
    public var availabilityZone: String?
    public var status: String?

    static let xmlPaths = [
        "Status": "volumeStatus/status"
    ]

    enum CodingKeys: String, CodingKey {
        case volumeID = "VolumeId"
        case availabilityZone = "AvailabilityZone"
        case status = "Status"
    }
}

/// An EBS snapshot.
public struct Snapshot: Codable, Sendable, Hashable, XMLShape {
    public var snapshotID: String
    public var volumeID: String?
    public var state: String
    public var progress: String?
    public var volumeSize: Int?
    public var ownerID: String?
    public var encrypted: Bool?
    public var kmsKeyID: String?
    public var startTime: String?
    public var description: String?
    public var stateMessage: String?
    public var tags: [Tag]

    /// Progress as a number from 0 to 100, when AWS reports it.
    public var progressPercent: Int? {
        progress.flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "% "))) }
    }

    static let xmlPaths = [
        "State": "status|state",
        "StateMessage": "statusMessage",
        "Tags": "tagSet",
    ]

    enum CodingKeys: String, CodingKey {
        case snapshotID = "SnapshotId"
        case volumeID = "VolumeId"
        case state = "State"
        case progress = "Progress"
        case volumeSize = "VolumeSize"
        case ownerID = "OwnerId"
        case encrypted = "Encrypted"
        case kmsKeyID = "KmsKeyId"
        case startTime = "StartTime"
        case description = "Description"
        case stateMessage = "StateMessage"
        case tags = "Tags"
    }
}

/// A snapshot that `CreateSnapshots` started for one volume of an instance.
public struct SnapshotInfo: Codable, Sendable, Hashable, XMLShape {
    public var snapshotID: String
    public var volumeID: String?
    public var state: String?
    public var volumeSize: Int?
    public var tags: [Tag]

    static let xmlPaths = [
        "Tags": "tagSet"
    ]

    enum CodingKeys: String, CodingKey {
        case snapshotID = "SnapshotId"
        case volumeID = "VolumeId"
        case state = "State"
        case volumeSize = "VolumeSize"
        case tags = "Tags"
    }
}
