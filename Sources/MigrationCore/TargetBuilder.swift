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

        /// Creates a disk description.
        public init(index: Int, sourceVolumeID: String, deviceName: String, sizeGiB: Int, volumeType: String, isRoot: Bool) {
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

    var instanceID: String { record["id"]?.stringValue ?? "" }
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
            MigrationLabels.plan: .string(plan.metadata.name ?? ""), MigrationLabels.planUID: .string(plan.metadata.uid ?? ""),
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
        let template = plan.spec.vms.first { $0.id == instanceID }?.pvcNameTemplate ?? plan.spec.pvcNameTemplate
        let values: [String: String] = [
            "VmName": sourceName, "TargetVmName": targetName, "PlanName": plan.metadata.name ?? "",
            "DiskIndex": "\(disk.index)", "VmId": instanceID, "VolumeID": disk.sourceVolumeID,
            "SnapshotID": disk.snapshotID ?? "",
        ]
        let rendered = template.map { NameTemplate.render($0, values: values) }
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
            "capacity": ["storage": .string("\(disk.sizeGiB)Gi")], "accessModes": ["ReadWriteOnce"], "volumeMode": "Block",
            "persistentVolumeReclaimPolicy": "Delete", "storageClassName": .string(storageClass(for: disk.volumeType) ?? ""),
            "csi": ["driver": .string(StorageClass.ebsProvisioner), "volumeHandle": .string(disk.newVolumeID ?? "")],
            "claimRef": [
                "apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": .string(namespace),
                "name": .string(pvcName(disk)),
            ],
        ]
        if let zone {
            spec["nodeAffinity"] = ["required": ["nodeSelectorTerms": [["matchExpressions": [[
                "key": "topology.kubernetes.io/zone", "operator": "In", "values": [.string(zone)],
            ]]]]]]
        }
        return ["apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": ["name": .string(pvName(disk)), "labels": .object(labels), "annotations": .object(annotations)],
            "spec": .object(spec)]
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

    /// The conversion pod's name.
    public var conversionPodName: String {
        "\(String(targetName.prefix(40)).trimmingSuffix("-"))-v2v-\(String(migrationUID.prefix(8)))"
    }

    /// The virt-v2v pod that converts the guest in place on the PVCs (`/dev/block<N>`).
    public func conversionPod(_ disks: [Disk]) -> JSONValue {
        var labels = labels
        labels["forklift.konveyor.io/conversion"] = "true"
        for (key, value) in plan.spec.convertorLabels ?? [:] { labels[key] = .string(value) }
        var spec: [String: JSONValue] = [
            "restartPolicy": "Never",
            "containers": [[
                "name": "virt-v2v", "image": .string(plan.spec.virtV2vImage ?? Self.defaultConversionImage),
                "env": [
                    ["name": "V2V_source", "value": "ec2"], ["name": "V2V_vmName", "value": .string(sourceName)],
                    ["name": "V2V_inPlace", "value": "1"],
                ],
                "volumeDevices": .array(disks.map { ["name": .string("disk-\($0.index)"), "devicePath": .string("/dev/block\($0.index)")] }),
                "resources": requestKVM
                    ? ["requests": ["cpu": "1", "memory": "1Gi"], "limits": ["memory": "4Gi", "devices.kubevirt.io/kvm": "1"]]
                    : ["requests": ["cpu": "1", "memory": "1Gi"], "limits": ["memory": "4Gi"]],
            ]],
            "volumes": .array(disks.map {
                ["name": .string("disk-\($0.index)"), "persistentVolumeClaim": ["claimName": .string(pvcName($0))]]
            }),
        ]
        if let selector = nodeSelector(plan.spec.convertorNodeSelector) { spec["nodeSelector"] = selector }
        return ["apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(conversionPodName), "namespace": .string(namespace), "labels": .object(labels)],
            "spec": .object(spec)]
    }

    /// The runStrategy: the VM's or plan's targetPowerState, else the source's power state.
    public var runStrategy: String {
        let requested = plan.spec.vms.first { $0.id == instanceID }?.targetPowerState ?? plan.spec.targetPowerState
        switch requested {
        case "on": return "Always"
        case "off": return "Halted"
        default: return sourceWasRunning ? "Always" : "Halted"
        }
    }

    /// Why a VirtualMachine cannot be built (missing sizing).
    public struct BuildError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The KubeVirt VirtualMachine: sizing from the instance type, firmware from the boot mode, disks in device
    /// order with the root device booting first, one NIC per mapped ENI with its MAC, Windows features when
    /// the guest is Windows, and the plan's labels and node selector.
    public func virtualMachine(_ disks: [Disk]) throws(BuildError) -> JSONValue {
        guard let vcpus = record["cpuCount"]?.intValue, vcpus > 0, let memory = record["memoryMB"]?.intValue, memory > 0 else {
            throw BuildError(description: "the instance type's vCPUs and memory are unknown (DescribeInstanceTypes "
                + "returned nothing for \(record["InstanceType"]?.stringValue ?? "its type"))")
        }
        let threads = record[path: ["CpuOptions", "ThreadsPerCore"]]?.intValue ?? 1
        let cores = vcpus % threads == 0 ? vcpus / threads : vcpus
        let windows = record["platform"]?.stringValue == "windows"
        let uefi = (record["bootMode"]?.stringValue ?? "").hasPrefix("uefi")

        var features: [String: JSONValue] = ["acpi": [:]]
        if uefi { features["smm"] = ["enabled": true] }
        if windows {
            features["apic"] = [:]
            features["hyperv"] = [
                "relaxed": [:], "vapic": [:], "spinlocks": ["spinlocks": 8191], "vpindex": [:], "runtime": [:],
                "synic": [:], "synictimer": ["enabled": true], "reset": [:], "frequencies": [:], "reenlightenment": [:], "tlbflush": [:],
                "ipi": [:],
            ]
        }
        let bus: JSONValue = compatibility ? "sata" : "virtio"
        let rootIndex = disks.first(where: \.isRoot)?.index ?? disks.first?.index
        let diskEntries: [JSONValue] = disks.map { disk in
            var entry: [String: JSONValue] = ["name": .string("disk-\(disk.index)"), "disk": ["bus": bus]]
            if disk.index == rootIndex { entry["bootOrder"] = 1 }
            return .object(entry)
        }
        var interfaces: [JSONValue] = []
        var networks: [JSONValue] = []
        for nic in record["nics"]?.arrayValue ?? [] {
            let subnet = nic["subnetId"]?.stringValue
            let pair = networkMap.spec.map.first { $0.source.id == subnet || ($0.source.name != nil && $0.source.name == subnet) }
            let destination = pair?.destination ?? NetworkMap.Destination(type: "pod")
            guard destination.type != "ignored" else { continue }
            let name = JSONValue.string("net-\(networks.count)")
            var interface: [String: JSONValue] = ["name": name, "model": compatibility ? "e1000e" : "virtio"]
            if let mac = nic["macAddress"]?.stringValue { interface["macAddress"] = .string(mac) }
            if destination.type == "multus" {
                interface["bridge"] = [:]
                let network = destination.namespace.map { "\($0)/\(destination.name ?? "")" } ?? destination.name ?? ""
                networks.append(["name": name, "multus": ["networkName": .string(network)]])
            } else {
                interface["masquerade"] = [:]
                networks.append(["name": name, "pod": [:]])
            }
            interfaces.append(.object(interface))
        }

        var domain: [String: JSONValue] = [
            "cpu": ["sockets": 1, "cores": .number(Double(cores)), "threads": .number(Double(cores == vcpus ? 1 : threads))],
            "memory": ["guest": .string("\(memory)Mi")],
            "resources": ["requests": ["memory": .string("\(memory)Mi")]],
            "firmware": [
                "bootloader": uefi ? ["efi": ["secureBoot": false]] : ["bios": [:]],
                "serial": .string(instanceID),
            ],
            "features": .object(features),
            "devices": [
                "disks": .array(diskEntries), "interfaces": .array(interfaces),
                "inputs": [["name": "tablet", "type": "tablet", "bus": compatibility ? "usb" : "virtio"]],
            ],
        ]
        if windows {
            domain["clock"] = ["utc": [:], "timer": [
                "hpet": ["present": false], "hyperv": [:], "pit": ["tickPolicy": "delay"], "rtc": ["tickPolicy": "catchup"],
            ]]
        }
        var templateLabels: [String: JSONValue] = ["kubevirt.io/domain": .string(targetName)]
        var vmLabels = labels
        for (key, value) in plan.spec.targetLabels ?? [:] {
            templateLabels[key] = .string(value)
            vmLabels[key] = .string(value)
        }
        vmLabels["forklift.konveyor.io/guest-converted"] = plan.spec.skipGuestConversion == true ? "false" : "true"
        var templateSpec: [String: JSONValue] = [
            "domain": .object(domain), "networks": .array(networks),
            "volumes": .array(disks.map {
                ["name": .string("disk-\($0.index)"), "persistentVolumeClaim": ["claimName": .string(pvcName($0))]]
            }),
        ]
        if let selector = nodeSelector(plan.spec.targetNodeSelector) { templateSpec["nodeSelector"] = selector }
        if let affinity = plan.spec.targetAffinity { templateSpec["affinity"] = affinity }
        return [
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": [
                "name": .string(targetName), "namespace": .string(namespace), "labels": .object(vmLabels),
                "annotations": [
                    "forklift.konveyor.io/source-vm-name": .string(sourceName),
                    "forklift.konveyor.io/source-instance-type": .string(record["InstanceType"]?.stringValue ?? ""),
                ],
            ],
            "spec": [
                "runStrategy": .string(runStrategy),
                "template": ["metadata": ["labels": .object(templateLabels)], "spec": .object(templateSpec)],
            ],
        ]
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
