import MTVAPI

/// Builds the Kubernetes objects of one migrated VM (PVCs, PVs, the conversion pod, the VirtualMachine) from the
/// plan, the instance's inventory record and the volumes made for it. Pure: names are deterministic, so a
/// restarted controller builds the same objects again.
public struct TargetBuilder: Sendable {
    /// One source disk and what the migration made for it.
    public struct Disk: Sendable, Equatable {
        public var index: Int
        public var sourceVolumeID: String
        public var deviceName: String
        public var sizeGiB: Int
        public var volumeType: String
        public var isRoot: Bool
        public var snapshotID: String?
        public var newVolumeID: String?

        /// Whether a plan's `rootDisk` names this disk: its device name (`/dev/xvda`), that name without
        /// `/dev/` (`xvda`), or the disk without its partition number (`/dev/sda` for `/dev/sda1`).
        public func matches(rootDisk: String) -> Bool {
            let wanted = rootDisk.hasPrefix("/dev/") ? rootDisk : "/dev/" + rootDisk
            guard !deviceName.isEmpty else { return false }
            return deviceName == wanted
                || (deviceName.hasPrefix(wanted) && deviceName.dropFirst(wanted.count).allSatisfy(\.isNumber))
        }

        /// Creates a disk description.
        public init(
            index: Int, sourceVolumeID: String, deviceName: String, sizeGiB: Int, volumeType: String, isRoot: Bool
        ) {
            self.index = index
            self.sourceVolumeID = sourceVolumeID
            self.deviceName = deviceName
            self.sizeGiB = sizeGiB
            self.volumeType = volumeType
            self.isRoot = isRoot
        }
    }

    public var plan: Plan
    public var migrationUID: String
    /// The instance's inventory record (`id`, `name`, `disks`, `nics`, `cpuCount`, `memoryMB`, `bootMode`, …).
    public var record: JSONValue
    public var targetName: String
    /// The provider's target availability zone.
    public var zone: String?
    public var networkMap: NetworkMap
    public var storageMap: StorageMap
    /// Whether the source instance was running (for runStrategy when the plan does not say).
    public var sourceWasRunning: Bool
    /// Whether the conversion pod asks for `/dev/kvm` (hardware-accelerated libguestfs; needs KubeVirt's
    /// device plugin on the nodes).
    public var requestKVM = false

    /// The default virt-v2v image (Forklift's, with the in-place contract).
    public static let defaultConversionImage = "quay.io/kubev2v/forklift-virt-v2v:latest"

    /// Creates a builder.
    public init(
        plan: Plan, migrationUID: String, record: JSONValue, targetName: String, zone: String?, networkMap: NetworkMap,
        storageMap: StorageMap, sourceWasRunning: Bool
    ) {
        self.plan = plan
        self.migrationUID = migrationUID
        self.record = record
        self.targetName = targetName
        self.zone = zone
        self.networkMap = networkMap
        self.storageMap = storageMap
        self.sourceWasRunning = sourceWasRunning
    }

    /// Why a VirtualMachine cannot be built (missing sizing).
    public struct BuildError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    var instanceID: String { record["id"]?.stringValue ?? "" }
    /// The plan's entry for this instance.
    var vmSettings: Plan.VM? { plan.spec.vms.first { $0.id == instanceID } }
    var sourceName: String { record["name"]?.stringValue ?? instanceID }
    var namespace: String { plan.spec.targetNamespace }
    var compatibility: Bool { plan.spec.skipGuestConversion == true && plan.spec.useCompatibilityMode == true }

    /// The EBS disks in block-device order (the root device first in boot order, not necessarily in this list).
    public static func disks(of record: JSONValue) -> [Disk] {
        (record["disks"]?.arrayValue ?? []).enumerated().compactMap { index, disk in
            guard let id = disk["volumeId"]?.stringValue else { return nil }
            return Disk(
                index: index, sourceVolumeID: id, deviceName: disk["deviceName"]?.stringValue ?? "",
                sizeGiB: disk["capacityGiB"]?.intValue ?? 0, volumeType: disk["volumeType"]?.stringValue ?? "",
                isRoot: disk["root"]?.boolValue ?? (index == 0))
        }
    }

    /// Labels every object of this VM carries.
    public var labels: [String: JSONValue] {
        [
            MigrationLabels.plan: .string(plan.metadata.name ?? ""),
            MigrationLabels.planUID: .string(plan.metadata.uid ?? ""),
            MigrationLabels.migrationUID: .string(migrationUID), MigrationLabels.vmID: .string(instanceID),
        ]
    }

    /// The storage class the storage map gives a volume type.
    public func storageClass(for volumeType: String) -> String? {
        storageMap.spec.map.first { ($0.source.name ?? $0.source.id)?.lowercased() == volumeType.lowercased() }?
            .destination.storageClass
    }

    /// The PVC name of a disk: the VM's or plan's template, else `<plan>-<vm>-disk-<n>`.
    public func pvcName(_ disk: Disk) -> String {
        let template = vmSettings?.pvcNameTemplate ?? plan.spec.pvcNameTemplate
        let values: [String: String] = [
            "VmName": sourceName, "TargetVmName": targetName, "PlanName": plan.metadata.name ?? "",
            "DiskIndex": "\(disk.index)", "VmId": instanceID, "VolumeID": disk.sourceVolumeID,
            "SnapshotID": disk.snapshotID ?? "",
        ]
        let rendered =
            template.map { NameTemplate.render($0, values: values) }
            ?? "\(String((plan.metadata.name ?? "").prefix(15)))-\(String(targetName.prefix(15)))-disk-\(disk.index)"
        return TargetName.sanitize(rendered) ?? "disk-\(disk.index)"
    }

    /// The PV name of a disk's new volume.
    public func pvName(_ disk: Disk) -> String { "pv-\(disk.newVolumeID ?? disk.sourceVolumeID)" }

    /// A Block-mode PVC of the source volume's size, pre-bound to its PV.
    public func pvc(_ disk: Disk) -> JSONValue {
        var labels = labels
        labels["forklift.konveyor.io/volume-id"] = .string(disk.sourceVolumeID)
        return [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": [
                "name": .string(pvcName(disk)), "namespace": .string(namespace), "labels": .object(labels),
                "annotations": .object(annotations(disk)),
            ],
            "spec": [
                "accessModes": ["ReadWriteOnce"], "volumeMode": "Block",
                "storageClassName": .string(storageClass(for: disk.volumeType) ?? ""),
                "resources": ["requests": ["storage": .string("\(disk.sizeGiB)Gi")]],
                "volumeName": .string(pvName(disk)),
            ],
        ]
    }

    /// An EBS CSI PV for the new volume, pinned to the target zone and claimed by the disk's PVC.
    public func pv(_ disk: Disk) -> JSONValue {
        var labels = labels
        labels["forklift.konveyor.io/ebs-volume-id"] = .string(disk.newVolumeID ?? "")
        var annotations = annotations(disk)
        annotations["pv.kubernetes.io/provisioned-by"] = .string(StorageClass.ebsProvisioner)
        var spec: [String: JSONValue] = [
            "capacity": ["storage": .string("\(disk.sizeGiB)Gi")], "accessModes": ["ReadWriteOnce"],
            "volumeMode": "Block",
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": .string(storageClass(for: disk.volumeType) ?? ""),
            "csi": ["driver": .string(StorageClass.ebsProvisioner), "volumeHandle": .string(disk.newVolumeID ?? "")],
            "claimRef": [
                "apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": .string(namespace),
                "name": .string(pvcName(disk)),
            ],
        ]
        if let zone {
            spec["nodeAffinity"] = [
                "required": [
                    "nodeSelectorTerms": [
                        [
                            "matchExpressions": [
                                [
                                    "key": "topology.kubernetes.io/zone", "operator": "In", "values": [.string(zone)],
                                ]
                            ]
                        ]
                    ]
                ]
            ]
        }
        return [
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": [
                "name": .string(pvName(disk)), "labels": .object(labels), "annotations": .object(annotations),
            ],
            "spec": .object(spec),
        ]
    }

    private func annotations(_ disk: Disk) -> [String: JSONValue] {
        [
            "forklift.konveyor.io/disk-source": .string(disk.sourceVolumeID),
            "forklift.konveyor.io/original-volume-id": .string(disk.sourceVolumeID),
            "forklift.konveyor.io/ebs-volume-id": .string(disk.newVolumeID ?? ""),
            "forklift.konveyor.io/snapshot-id": .string(disk.snapshotID ?? ""),
            "forklift.konveyor.io/disk-index": .string("\(disk.index)"),
        ]
    }

    /// The node selector of the VM and the conversion pod: the target zone unless skipped, plus the user's.
    func nodeSelector(_ extra: [String: String]?) -> JSONValue? {
        var selector: [String: JSONValue] = [:]
        if plan.spec.skipZoneNodeSelector != true, let zone { selector["topology.kubernetes.io/zone"] = .string(zone) }
        for (key, value) in extra ?? [:] { selector[key] = .string(value) }
        return selector.isEmpty ? nil : .object(selector)
    }

}

/// The subset of Go templates PVC name templates use: `{{.Field}}` and `{{trunc N .Field}}`.
public enum NameTemplate {
    /// Replaces each `{{…}}` with its value (unknown fields become empty).
    public static func render(_ template: String, values: [String: String]) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let words = rest[open.upperBound..<close.lowerBound].split(separator: " ").map(String.init)
            if words.count == 3, words[0] == "trunc", let length = Int(words[1]), words[2].hasPrefix(".") {
                out += String((values[String(words[2].dropFirst())] ?? "").prefix(length))
            } else if words.count == 1, words[0].hasPrefix(".") {
                out += values[String(words[0].dropFirst())] ?? ""
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}

extension String {
    func trimmingSuffix(_ character: Character) -> String {
        var copy = self
        while copy.last == character { copy.removeLast() }
        return copy
    }
}
