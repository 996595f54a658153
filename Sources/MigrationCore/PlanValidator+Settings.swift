import MTVAPI

/// Settings a plan gives that this controller cannot carry out: each one blocks the plan with a condition that
/// names it, so nothing a user wrote is silently ignored.
extension PlanValidator {
    /// Plan fields this controller carries out; anything else must be absent or hold its "off" value.
    static let supportedFields: Set<String> = [
        "description", "provider", "targetNamespace", "map", "vms", "archived", "type", "warm",
        "skipGuestConversion", "useCompatibilityMode", "skipZoneNodeSelector", "targetPowerState", "pvcNameTemplate",
        "deleteVmOnFailMigration", "deleteGuestConversionPod", "targetLabels", "targetNodeSelector",
        "targetAffinity", "convertorNodeSelector", "convertorLabels", "convertorAffinity", "virtV2vImage",
        "enableNestedVirtualization", "conversionTempStorageClass", "conversionTempStorageSize",
        // Every attached EBS volume is migrated, multi-attach ones included: what `true` (upstream's default) asks.
        "migrateSharedDisks",
    ]
    /// Fields the upstream CLI sets by default that have nothing to act on for an EC2 instance: accepted, and named
    /// in a warning with the reason.
    static let notApplicableFields: [String: String] = [
        "preserveStaticIPs":
            "EC2 guests take their addresses from the VPC's DHCP, so there is no static address to keep",
        "runPreflightInspection":
            "the plan's preflight checks run on the inventory; virt-v2v inspects the guest when it converts it",
    ]
    /// Per-VM fields this controller carries out.
    static let supportedVMFields: Set<String> = [
        "id", "name", "targetName", "targetPowerState", "pvcNameTemplate", "rootDisk", "instanceType",
        "deleteVmOnFailMigration", "enableNestedVirtualization", "hooks",
    ]

    func checkSettings(_ found: inout Findings) {
        for field in unsupportedFields() {
            found.critical(
                "SettingNotSupported", "NotSupported",
                "settings this controller does not carry out yet for EC2 (remove them or set them to false)",
                item: field)
        }
        if case .object(let spec) = rawSpec ?? .null {
            for (field, reason) in Self.notApplicableFields.sorted(by: { $0.key < $1.key })
            where spec[field].map(Self.isSet) == true {
                found.warn(
                    "SettingNotApplicable", "NotApplicable", "settings that do not apply to EC2 instances",
                    item: "\(field): \(reason)")
            }
        }
        if let size = plan.spec.conversionTempStorageSize, !size.isEmpty, !Self.isQuantity(size) {
            found.critical(
                "SettingNotValid", "NotValid", "settings with values that cannot be used",
                item: "conversionTempStorageSize '\(size)' is not a storage quantity such as 10Gi")
        }
    }

    func checkRootDisk(_ vm: Plan.VM, _ record: JSONValue, _ found: inout Findings) {
        guard let rootDisk = vm.rootDisk, !rootDisk.isEmpty else { return }
        let disks = TargetBuilder.disks(of: record)
        guard !disks.contains(where: { $0.matches(rootDisk: rootDisk) }) else { return }
        let names = disks.map(\.deviceName).joined(separator: ", ")
        found.critical(
            "VMRootDiskNotFound", "NotFound", "VMs whose rootDisk names none of their disks",
            item: "\(Self.item(record)): '\(rootDisk)' (disks: \(names.isEmpty ? "none" : names))")
    }

    /// The paths of fields that are set (to anything but false, empty or null) and not carried out.
    func unsupportedFields() -> [String] {
        var fields: [String] = []
        if plan.spec.installLegacyDrivers == true { fields.append("installLegacyDrivers") }
        if case .object(let spec) = rawSpec ?? .null {
            for (key, value) in spec.sorted(by: { $0.key < $1.key })
            where !Self.supportedFields.contains(key) && Self.notApplicableFields[key] == nil && Self.isSet(value)
                && key != "installLegacyDrivers"
            {
                fields.append(key)
            }
            for (index, vm) in (spec["vms"]?.arrayValue ?? []).enumerated() {
                guard case .object(let entry) = vm else { continue }
                for (key, value) in entry.sorted(by: { $0.key < $1.key })
                where !Self.supportedVMFields.contains(key) && Self.isSet(value) {
                    fields.append("vms[\(index)].\(key)")
                }
            }
        }
        return fields
    }

    /// Whether a value asks for something: anything but false, null, an empty string, list or object.
    static func isSet(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool(false): false
        case .string(let text): !text.isEmpty
        case .array(let items): !items.isEmpty
        case .object(let fields): !fields.isEmpty
        default: true
        }
    }

    /// Whether text is a Kubernetes quantity such as `10Gi`, `500M` or `1.5Ti`.
    static func isQuantity(_ text: String) -> Bool {
        let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E"]
        let number = text.prefix { $0.isNumber || $0 == "." }
        guard !number.isEmpty, Double(number) != nil else { return false }
        return suffixes.contains(String(text.dropFirst(number.count)))
    }
}
