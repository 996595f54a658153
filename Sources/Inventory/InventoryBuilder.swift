import AWSClient
import Foundation
import MTVAPI

/// Turns what EC2 describes into inventory records: the AWS object as AWS names its fields, plus the derived
/// fields the CLI, queries and plan validation use (`name`, `powerState`, `labels`, `cpuCount`, `disks`, …).
public enum InventoryBuilder {
    /// Everything one collection pass read from EC2.
    public struct Snapshot: Sendable {
        public var instances: [Instance] = []
        public var volumes: [Volume] = []
        public var subnets: [Subnet] = []
        public var vpcs: [Vpc] = []
        public var snapshots: [AWSClient.Snapshot] = []
        public var instanceTypes: [InstanceTypeInfo] = []
        public var images: [Image] = []
        public var zones: [AvailabilityZone] = []

        /// Creates an empty pass.
        public init() {}
    }

    /// All records of a pass, by kind.
    public static func records(from pass: Snapshot) throws -> [InventoryKind: [InventoryRecord]] {
        let types = Dictionary(
            pass.instanceTypes.map { ($0.instanceType, $0) }, uniquingKeysWith: { first, _ in first })
        let images = Dictionary(pass.images.map { ($0.imageID, $0) }, uniquingKeysWith: { first, _ in first })
        let volumes = Dictionary(pass.volumes.map { ($0.volumeID, $0) }, uniquingKeysWith: { first, _ in first })
        return [
            .vm: try pass.instances.map {
                try vm(
                    $0, type: types[$0.instanceType], image: $0.imageID.flatMap { images[$0] },
                    volumes: volumes)
            },
            .volume: try pass.volumes.map { try record(.volume, id: $0.volumeID, tags: $0.tags, object: $0) },
            .network: try pass.vpcs.map { try network($0) } + pass.subnets.map { try network($0) },
            .storage: storageTypes,
            .snapshot: try pass.snapshots.map { try record(.snapshot, id: $0.snapshotID, tags: $0.tags, object: $0) },
            .zone: try pass.zones.map { try record(.zone, id: $0.zoneName, tags: [], object: $0) },
        ]
    }

    /// `On` for running or pending instances, `Off` for stopped, stopping and beyond, else `Unknown`.
    public static func powerState(_ state: String) -> String {
        switch state {
        case "running", "pending": "On"
        case "stopped", "stopping", "shutting-down", "terminated": "Off"
        default: "Unknown"
        }
    }

    static func vm(
        _ instance: Instance, type: InstanceTypeInfo?, image: Image?, volumes: [String: Volume]
    ) throws
        -> InventoryRecord
    {
        var object = try JSONValue(encoding: instance)
        let name = instance.name.flatMap { $0.isEmpty ? nil : $0 } ?? instance.instanceID
        let windows =
            instance.platform == "windows" || (instance.platformDetails ?? "").contains("Windows")
            || image?.platform == "windows"
        let disks: [JSONValue] = instance.blockDeviceMappings.compactMap { mapping in
            guard let id = mapping.ebs?.volumeID else { return nil }
            let volume = volumes[id]
            return [
                "volumeId": .string(id), "deviceName": .string(mapping.deviceName),
                "capacityGiB": volume.map { .number(Double($0.size)) } ?? .null,
                "volumeType": volume.map { .string($0.volumeType) } ?? .null,
                "encrypted": volume.map { .bool($0.encrypted) } ?? .null,
                "kmsKeyId": volume?.kmsKeyID.map(JSONValue.string) ?? .null,
                "root": .bool(mapping.deviceName == instance.rootDeviceName),
            ]
        }
        let nics: [JSONValue] = instance.networkInterfaces.sorted { ($0.deviceIndex ?? 0) < ($1.deviceIndex ?? 0) }.map
        {
            [
                "networkInterfaceId": .string($0.networkInterfaceID),
                "subnetId": $0.subnetID.map(JSONValue.string) ?? .null,
                "macAddress": $0.macAddress.map(JSONValue.string) ?? .null,
                "deviceIndex": $0.deviceIndex.map { .number(Double($0)) } ?? .null,
                "privateIpAddress": $0.privateIPAddress.map(JSONValue.string) ?? .null,
            ]
        }
        let cpus =
            instance.cpuOptions.flatMap { options in
                options.coreCount.map { $0 * (options.threadsPerCore ?? 1) }
            } ?? type?.defaultVCpus
        object["id"] = .string(instance.instanceID)
        object["name"] = .string(name)
        object["kind"] = "vm"
        object["powerState"] = .string(powerState(instance.state.name))
        object["platform"] = windows ? "windows" : "linux"
        object["guestOS"] =
            GuestOS(platformDetails: instance.platformDetails, imageName: image?.name, windows: windows).json
        object["labels"] = labels(instance.tags)
        object["cpuCount"] = cpus.map { .number(Double($0)) } ?? .null
        object["memoryMB"] = type?.memorySizeMiB.map { .number(Double($0)) } ?? .null
        object["bootMode"] =
            (instance.currentInstanceBootMode ?? instance.bootMode ?? image?.bootMode
            ?? type?.supportedBootModes.first).map(JSONValue.string) ?? .null
        object["disks"] = .array(disks)
        object["nics"] = .array(nics)
        object["concerns"] = .array(concerns(instance, type: type, disks: disks))
        return InventoryRecord(kind: .vm, id: instance.instanceID, name: name, object: object)
    }

    /// What will not move or needs attention, each with a category as Forklift names them.
    static func concerns(_ instance: Instance, type: InstanceTypeInfo?, disks: [JSONValue]) -> [JSONValue] {
        var found: [JSONValue] = []
        func add(_ category: String, _ label: String, _ assessment: String) {
            found.append(["category": .string(category), "label": .string(label), "assessment": .string(assessment)])
        }
        if type?.instanceStorageSupported == true {
            add(
                "Warning", "Instance store", "The instance type has instance-store volumes; their data is not migrated."
            )
        }
        if instance.architecture == "arm64" {
            add("Critical", "arm64", "The instance is arm64; it needs arm64 worker nodes.")
        }
        if disks.contains(where: { $0["encrypted"] == true }) {
            add("Warning", "Encrypted volumes", "Encrypted EBS volumes need a KMS key the target account can use.")
        }
        if instance.networkInterfaces.count > 1 {
            add("Warning", "Several NICs", "More than one network interface; only one can use the pod network.")
        }
        if instance.rootDeviceType == "instance-store" {
            add("Critical", "Instance-store root", "The root device is instance store; it cannot be snapshotted.")
        }
        return found
    }

    static func network(_ vpc: Vpc) throws -> InventoryRecord {
        var record = try record(.network, id: vpc.vpcID, tags: vpc.tags, object: vpc)
        record.object["networkType"] = "vpc"
        return record
    }

    static func network(_ subnet: Subnet) throws -> InventoryRecord {
        var record = try record(.network, id: subnet.subnetID, tags: subnet.tags, object: subnet)
        record.object["networkType"] = "subnet"
        return record
    }

    static func record<T: Encodable>(
        _ kind: InventoryKind, id: String, tags: [Tag], object: T
    ) throws -> InventoryRecord {
        var value = try JSONValue(encoding: object)
        let name = tags[key: "Name"].flatMap { $0.isEmpty ? nil : $0 } ?? id
        value["id"] = .string(id)
        value["name"] = .string(name)
        value["kind"] = .string(String(kind.rawValue.dropLast()))
        value["labels"] = labels(tags)
        return InventoryRecord(kind: kind, id: id, name: name, object: value)
    }

    static func labels(_ tags: [Tag]) -> JSONValue {
        .object(Dictionary(tags.map { ($0.key, JSONValue.string($0.value)) }, uniquingKeysWith: { _, last in last }))
    }

    /// The EBS volume types with their limits (IOPS, MiB/s), which need no AWS call.
    public static let storageTypes: [InventoryRecord] = [
        ("gp2", "General Purpose SSD (gp2)", 16000, 250), ("gp3", "General Purpose SSD (gp3)", 16000, 1000),
        ("io1", "Provisioned IOPS SSD (io1)", 64000, 1000), ("io2", "Provisioned IOPS SSD (io2)", 256000, 4000),
        ("st1", "Throughput Optimized HDD (st1)", 500, 500), ("sc1", "Cold HDD (sc1)", 250, 250),
        ("standard", "Magnetic (standard)", 200, 90),
    ].map { type, description, iops, throughput in
        InventoryRecord(
            kind: .storage, id: type, name: type,
            object: [
                "id": .string(type), "name": .string(type), "kind": "storage", "type": .string(type),
                "description": .string(description), "maxIOPS": .number(Double(iops)),
                "maxThroughput": .number(Double(throughput)),
            ])
    }
}
