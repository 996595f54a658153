import MTVAPI

/// The KubeVirt VirtualMachine of one migrated instance.
extension TargetBuilder {
    /// The runStrategy: the VM's or plan's targetPowerState, else the source's power state.
    public var runStrategy: String {
        let requested = vmSettings?.targetPowerState ?? plan.spec.targetPowerState
        switch requested {
        case "on": return "Always"
        case "off": return "Halted"
        default: return sourceWasRunning ? "Always" : "Halted"
        }
    }

    /// The KubeVirt VirtualMachine: sizing from the instance type, firmware from the boot mode, disks in device
    /// order with the root device booting first, one NIC per mapped ENI with its MAC, Windows features when
    /// the guest is Windows, and the plan's labels and node selector.
    public func virtualMachine(_ disks: [Disk]) throws(BuildError) -> JSONValue {
        guard let vcpus = record["cpuCount"]?.intValue, vcpus > 0, let memory = record["memoryMB"]?.intValue, memory > 0
        else {
            throw BuildError(
                description: "the instance type's vCPUs and memory are unknown (DescribeInstanceTypes "
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
                "synic": [:], "synictimer": ["enabled": true], "reset": [:], "frequencies": [:], "reenlightenment": [:],
                "tlbflush": [:],
                "ipi": [:],
            ]
        }
        let bus: JSONValue = compatibility ? "sata" : "virtio"
        let rootIndex = bootDisk(disks)?.index
        let diskEntries: [JSONValue] = disks.map { disk in
            var entry: [String: JSONValue] = ["name": .string("disk-\(disk.index)"), "disk": ["bus": bus]]
            if disk.index == rootIndex { entry["bootOrder"] = 1 }
            return .object(entry)
        }
        var interfaces: [JSONValue] = []
        var networks: [JSONValue] = []
        for nic in record["nics"]?.arrayValue ?? [] {
            let subnet = nic["subnetId"]?.stringValue
            let pair = networkMap.spec.map.first {
                $0.source.id == subnet || ($0.source.name != nil && $0.source.name == subnet)
            }
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

        var cpu: [String: JSONValue] = [
            "sockets": 1, "cores": .number(Double(cores)), "threads": .number(Double(cores == vcpus ? 1 : threads)),
        ]
        if let nested = nestedVirtualization {
            // Both vendors' features, so the VM runs on Intel and AMD nodes alike (as upstream does).
            let policy: JSONValue = nested ? "optional" : "disable"
            cpu["features"] = [["name": "vmx", "policy": policy], ["name": "svm", "policy": policy]]
        }
        var domain: [String: JSONValue] = [
            "cpu": .object(cpu),
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
            domain["clock"] = [
                "utc": [:],
                "timer": [
                    "hpet": ["present": false], "hyperv": [:], "pit": ["tickPolicy": "delay"],
                    "rtc": ["tickPolicy": "catchup"],
                ],
            ]
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
            "volumes": .array(
                disks.map {
                    ["name": .string("disk-\($0.index)"), "persistentVolumeClaim": ["claimName": .string(pvcName($0))]]
                }),
        ]
        if let selector = nodeSelector(plan.spec.targetNodeSelector) { templateSpec["nodeSelector"] = selector }
        if let affinity = plan.spec.targetAffinity { templateSpec["affinity"] = affinity }
        var vmSpec: [String: JSONValue] = ["runStrategy": .string(runStrategy)]
        if let instanceType = vmSettings?.instanceType, !instanceType.isEmpty {
            // A KubeVirt instance type sizes the VM; KubeVirt refuses a VM that sizes itself as well.
            vmSpec["instancetype"] = ["kind": "VirtualMachineClusterInstancetype", "name": .string(instanceType)]
            for key in ["memory", "resources"] { domain[key] = nil }
            cpu["sockets"] = nil
            cpu["cores"] = nil
            cpu["threads"] = nil
            domain["cpu"] = cpu.isEmpty ? nil : .object(cpu)
            templateSpec["domain"] = .object(domain)
        }
        var vmAnnotations: [String: JSONValue] = [
            "forklift.konveyor.io/source-vm-name": .string(sourceName),
            "forklift.konveyor.io/source-instance-type": .string(record["InstanceType"]?.stringValue ?? ""),
        ]
        var templateAnnotations: [String: JSONValue] = [:]
        // The OS identity the OpenShift console shows, as VMs made from KubeVirt's common templates carry it.
        if let os = record[path: ["guestOS", "osinfoID"]]?.stringValue {
            vmLabels["os.template.kubevirt.io/\(os)"] = "true"
            vmLabels["workload.template.kubevirt.io/server"] = "true"
            for (key, value) in ["vm.kubevirt.io/os": os, "vm.kubevirt.io/workload": "server"] {
                vmAnnotations[key] = .string(value)
                templateAnnotations[key] = .string(value)
            }
        }
        vmSpec["template"] = [
            "metadata": ["labels": .object(templateLabels), "annotations": .object(templateAnnotations)],
            "spec": .object(templateSpec),
        ]
        return [
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": [
                "name": .string(targetName), "namespace": .string(namespace), "labels": .object(vmLabels),
                "annotations": .object(vmAnnotations),
            ],
            "spec": .object(vmSpec),
        ]
    }

    /// Whether the VM gets the CPU's virtualization features (true), has them disabled (false), or is left alone
    /// (nil): the VM's setting, else the plan's, else on for `.metal` instance types.
    var nestedVirtualization: Bool? {
        if let setting = vmSettings?.enableNestedVirtualization ?? plan.spec.enableNestedVirtualization {
            return setting
        }
        return (record["InstanceType"]?.stringValue ?? "").hasSuffix(".metal") ? true : nil
    }

    /// The disk that boots: the one the plan's `rootDisk` names, else the instance's root device, else the first.
    public func bootDisk(_ disks: [Disk]) -> Disk? {
        if let rootDisk = vmSettings?.rootDisk, !rootDisk.isEmpty,
            let chosen = disks.first(where: { $0.matches(rootDisk: rootDisk) })
        {
            return chosen
        }
        return disks.first(where: \.isRoot) ?? disks.first
    }
}

extension TargetBuilder {
    /// The guest OS a VM's status names: the libosinfo ID when the image tells it (`rhel9`, `win2k22`), else the
    /// inventory's name for it (`Amazon Linux 2`); nil for a record without one.
    public static func operatingSystem(of record: JSONValue) -> String? {
        record[path: ["guestOS", "osinfoID"]]?.stringValue ?? record[path: ["guestOS", "name"]]?.stringValue
    }
}
