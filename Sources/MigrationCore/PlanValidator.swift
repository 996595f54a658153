import MTVAPI

/// The preflight checks of a plan (DESIGN §4.10): what blocks it (Critical) and what the user should know (Warn),
/// as Forklift conditions whose `items` name the VMs concerned. Pure: the controller gathers the inputs.
public struct PlanValidator: Sendable {
    /// A worker node as the checks see it.
    public struct WorkerNode: Sendable, Equatable {
        public var zone: String?
        public var architecture: String

        /// Creates a node description.
        public init(zone: String?, architecture: String) {
            self.zone = zone
            self.architecture = architecture
        }
    }

    public var plan: Plan
    /// The source provider's inventory VM records (`id`, `name`, `disks`, `nics`, `Architecture`, …).
    public var inventory: [JSONValue]
    public var networkMap: NetworkMap
    public var storageMap: StorageMap
    public var storageClasses: [AutomaticMapping.StorageClassInfo]
    public var workers: [WorkerNode]
    /// The provider's `target-az`.
    public var targetZone: String?
    /// Whether the target account differs from the source account (snapshots are shared).
    public var crossAccount: Bool
    /// VirtualMachine names already used in the target namespace by anything but this plan.
    public var takenNames: Set<String>
    /// The plan's spec as stored, with any fields the `Plan` type does not model (they must not pass unnoticed).
    public var rawSpec: JSONValue?
    /// The hooks the plan's VMs name, by `namespace/name` (a missing one is absent).
    public var hooks: [String: Hook] = [:]
    /// What the target account may do with the KMS keys of the plan's encrypted volumes, by key (a key not
    /// looked up yet is absent).
    public var keys: [String: KeyAccess] = [:]

    /// Creates a validator over gathered inputs.
    public init(
        plan: Plan, inventory: [JSONValue], networkMap: NetworkMap, storageMap: StorageMap,
        storageClasses: [AutomaticMapping.StorageClassInfo], workers: [WorkerNode], targetZone: String?,
        crossAccount: Bool, takenNames: Set<String>
    ) {
        self.plan = plan
        self.inventory = inventory
        self.networkMap = networkMap
        self.storageMap = storageMap
        self.storageClasses = storageClasses
        self.workers = workers
        self.targetZone = targetZone
        self.crossAccount = crossAccount
        self.takenNames = takenNames
    }

    /// The condition types these checks own (the reconciler replaces exactly these).
    public static let conditionTypes: Set<String> = [
        "MigrationTypeNotValid", "VMNotFound", "DuplicateVM", "VMHasNoEBSVolumes", "VMNetworksNotMapped",
        "VMStorageNotMapped", "StorageClassNotFound", "StorageClassNotEBS", MapValidator.modesConditionType,
        "VMArchitectureNotSupported",
        "TargetZoneHasNoNodes", "VMMultiplePodNetworks", "TargetNameNotValid", "VMInstanceStore",
        "EncryptedVolumeKey", "VMPoweredOn", "TargetNamespaceNotValid", "SettingNotSupported", "SettingNotValid",
        "SettingNotApplicable", "VMRootDiskNotFound", "HookNotFound", "HookNotValid", "HookStepNotValid",
        "EncryptedVolumeKeyNotShareable", "EncryptedVolumeKeyNotUsable",
        // no longer raised (plans across regions run): listed so that a plan's old condition is cleared
        "CrossRegionNotSupported",
    ]

    /// Runs every check; Critical conditions block the plan, Warn ones do not.
    public func conditions() -> [Condition] {
        var found = Findings()
        if let type = plan.spec.type, !type.isEmpty, type != "cold" {
            found.critical(
                "MigrationTypeNotValid", "NotSupported",
                "migration type '\(type)' is not supported for EC2; only cold migration is", item: nil)
        }
        if plan.spec.warm == true {
            found.critical(
                "MigrationTypeNotValid", "NotSupported", "warm migration is not supported for EC2 yet", item: nil)
        }
        if !TargetName.isValid(plan.spec.targetNamespace) {
            found.critical(
                "TargetNamespaceNotValid", "NotValid",
                "target namespace '\(plan.spec.targetNamespace)' is not a valid namespace name (a DNS-1123 label)",
                item: nil)
        }
        checkStorageClasses(&found)
        checkZone(&found)
        checkSettings(&found)

        var seen = Set<String>()
        var resolved: [(vm: Plan.VM, record: JSONValue)] = []
        for vm in plan.spec.vms {
            guard let record = lookup(vm) else {
                found.critical(
                    "VMNotFound", "NotFound", "VMs not found in the source provider's inventory (or terminated)",
                    item: Self.item(id: vm.id, name: vm.name))
                continue
            }
            if let state = record[path: ["State", "Name"]]?.stringValue,
                ["terminated", "shutting-down"].contains(state)
            {
                found.critical(
                    "VMNotFound", "NotFound", "VMs not found in the source provider's inventory (or terminated)",
                    item: "\(Self.item(record)): \(state)")
                continue
            }
            let id = record["id"]?.stringValue ?? ""
            guard seen.insert(id).inserted else {
                found.critical(
                    "DuplicateVM", "Duplicate", "VMs listed more than once in the plan", item: Self.item(record))
                continue
            }
            resolved.append((vm, record))
            checkModes(record, &found)
            checkVM(record, &found)
            checkKeys(record, &found)
            checkRootDisk(vm, record, &found)
            checkHooks(vm, &found)
        }
        checkNames(resolved, &found)
        return found.conditions
    }

    /// The plan's VM with this reference, by ID first, then by name.
    func lookup(_ vm: Plan.VM) -> JSONValue? {
        if let id = vm.id, !id.isEmpty { return inventory.first { $0["id"]?.stringValue == id } }
        guard let name = vm.name else { return nil }
        return inventory.first { $0["name"]?.stringValue == name } ?? inventory.first { $0["id"]?.stringValue == name }
    }

    private func checkStorageClasses(_ found: inout Findings) {
        for pair in storageMap.spec.map {
            let name = pair.destination.storageClass
            guard let info = storageClasses.first(where: { $0.name == name }) else {
                found.critical(
                    "StorageClassNotFound", "NotFound", "storage classes of the storage map do not exist",
                    item: name)
                continue
            }
            if info.provisioner != StorageClass.ebsProvisioner {
                found.critical(
                    "StorageClassNotEBS", "NotSupported",
                    "storage classes that are not EBS CSI (\(StorageClass.ebsProvisioner)): EC2 disks move as EBS "
                        + "volumes bound through the EBS CSI driver", item: "\(name) (\(info.provisioner))")
            }
        }
    }

    /// Destinations of this VM's volume types whose modes are not honoured: a warning that names them.
    private func checkModes(_ record: JSONValue, _ found: inout Findings) {
        let types = Set((record["disks"]?.arrayValue ?? []).compactMap { $0["volumeType"]?.stringValue?.lowercased() })
        for pair in storageMap.spec.map where types.contains((pair.source.name ?? pair.source.id ?? "").lowercased()) {
            if let modes = MapValidator.unsupportedModes(pair.destination) {
                found.warn(
                    MapValidator.modesConditionType, "NotHonoured", MapValidator.modesMessage,
                    item: "\(pair.source.name ?? pair.source.id ?? "") -> \(pair.destination.storageClass): \(modes)")
            }
        }
    }

    private func checkZone(_ found: inout Findings) {
        guard let zone = targetZone else { return }
        if !workers.contains(where: { $0.zone == zone }) {
            let zones = Set(workers.compactMap(\.zone)).sorted().joined(separator: ", ")
            found.critical(
                "TargetZoneHasNoNodes", "NotFound",
                "target-az \(zone) has no worker node (worker zones: \(zones.isEmpty ? "none" : zones)); the new "
                    + "volumes live in \(zone) and can attach only there: set the provider's target-az to a worker zone",
                item: nil)
        }
    }

    private func checkVM(_ record: JSONValue, _ found: inout Findings) {
        let item = Self.item(record)
        let disks = record["disks"]?.arrayValue ?? []
        if disks.isEmpty {
            found.critical(
                "VMHasNoEBSVolumes", "NotSupported", "VMs without EBS volumes (nothing to migrate)", item: item)
        }
        let types = Set(disks.compactMap { $0["volumeType"]?.stringValue })
        let mappedTypes = Set(
            storageMap.spec.map.compactMap { pair in
                pair.destination.storageClass.isEmpty ? nil : (pair.source.name ?? pair.source.id)?.lowercased()
            })
        let unmappedTypes = types.filter { !mappedTypes.contains($0.lowercased()) }.sorted()
        if !unmappedTypes.isEmpty {
            found.critical(
                "VMStorageNotMapped", "NotMapped", "VMs with EBS volume types the storage map does not map",
                item: "\(item): \(unmappedTypes.joined(separator: ", "))")
        }

        var podNICs = 0
        var unmapped: [String] = []
        for nic in record["nics"]?.arrayValue ?? [] {
            guard let subnet = nic["subnetId"]?.stringValue else { continue }
            guard let pair = networkMap.spec.map.first(where: { $0.source.id == subnet || $0.source.name == subnet })
            else {
                unmapped.append(subnet)
                continue
            }
            if pair.destination.type == "pod" { podNICs += 1 }
        }
        if !unmapped.isEmpty {
            found.critical(
                "VMNetworksNotMapped", "NotMapped", "VMs with subnets the network map does not map",
                item: "\(item): \(unmapped.joined(separator: ", "))")
        }
        if podNICs > 1 {
            found.critical(
                "VMMultiplePodNetworks", "NotSupported",
                "VMs with more than one NIC on the pod network (a VM can have one); map the other subnets to a "
                    + "NetworkAttachmentDefinition or to ignored", item: item)
        }

        let architecture = record["Architecture"]?.stringValue ?? "x86_64"
        let nodeArchitecture = architecture == "x86_64" ? "amd64" : architecture
        if !workers.contains(where: { $0.architecture == nodeArchitecture }) {
            found.critical(
                "VMArchitectureNotSupported", "NotSupported",
                "VMs whose architecture no worker node has (add nodes with kubernetes.io/arch=\(nodeArchitecture))",
                item: "\(item): \(architecture)")
        }
        if (record["concerns"]?.arrayValue ?? []).contains(where: { $0["label"]?.stringValue == "Instance store" }) {
            found.warn(
                "VMInstanceStore", "DataNotMigrated",
                "VMs with instance-store volumes: their data is not migrated (only EBS volumes are)", item: item)
        }
        if record["powerState"]?.stringValue == "On" {
            found.warn(
                "VMPoweredOn", "WillBeStopped",
                "running VMs are stopped for the migration (their VM starts on the cluster afterwards)", item: item)
        }
    }

    private func checkNames(_ resolved: [(vm: Plan.VM, record: JSONValue)], _ found: inout Findings) {
        do {
            _ = try TargetName.assign(
                resolved.map {
                    (
                        id: $0.record["id"]?.stringValue ?? "", name: $0.record["name"]?.stringValue,
                        targetName: $0.vm.targetName
                    )
                },
                taken: takenNames)
        } catch {
            found.critical(
                "TargetNameNotValid", "NotValid", "VMs whose target name cannot be used", item: error.description)
        }
    }

    /// How a VM appears in a condition's items.
    static func item(_ record: JSONValue) -> String {
        item(id: record["id"]?.stringValue, name: record["name"]?.stringValue)
    }

    static func item(id: String?, name: String?) -> String {
        switch (id, name) {
        case (let id?, let name?) where id != name: "id:\(id) name:'\(name)'"
        case (let id?, _): "id:\(id)"
        case (nil, let name?): "name:'\(name)'"
        case (nil, nil): "(a VM without id or name)"
        }
    }
}

/// Conditions being gathered: one per type, with the items of every finding of that type.
struct Findings {
    var conditions: [Condition] = []

    mutating func critical(_ type: String, _ reason: String, _ message: String, item: String?) {
        add(type, Condition.Category.critical, reason, message, item)
    }

    mutating func warn(_ type: String, _ reason: String, _ message: String, item: String?) {
        add(type, Condition.Category.warn, reason, message, item)
    }

    private mutating func add(_ type: String, _ category: String, _ reason: String, _ message: String, _ item: String?)
    {
        if let index = conditions.firstIndex(where: { $0.type == type }) {
            if let item, !(conditions[index].items ?? []).contains(item) {
                conditions[index].items = (conditions[index].items ?? []) + [item]
            }
            return
        }
        conditions.append(
            Condition(type: type, category: category, reason: reason, message: message, items: item.map { [$0] }))
    }
}
