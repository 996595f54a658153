import MTVAPI

/// The virt-v2v conversion pod of one VM.
extension TargetBuilder {
    /// The conversion pod's name.
    public var conversionPodName: String {
        "\(String(targetName.prefix(40)).trimmingSuffix("-"))-v2v-\(String(migrationUID.prefix(8)))"
    }

    /// The virt-v2v pod that converts the guest in place on the PVCs (`/dev/block<N>`): the plan's convertor
    /// labels, node selector and affinity, `V2V_RootDisk` when a root disk is chosen, and `/var/tmp` on an
    /// ephemeral volume of `conversionTempStorageClass`/`Size` when the plan gives them (as upstream does).
    public func conversionPod(_ disks: [Disk]) -> JSONValue {
        var labels = labels
        labels["forklift.konveyor.io/conversion"] = "true"
        for (key, value) in plan.spec.convertorLabels ?? [:] { labels[key] = .string(value) }
        var environment: [JSONValue] = [
            ["name": "V2V_source", "value": "ec2"], ["name": "V2V_vmName", "value": .string(sourceName)],
            ["name": "V2V_inPlace", "value": "1"],
        ]
        if let rootDisk = vmSettings?.rootDisk, !rootDisk.isEmpty {
            environment.append(["name": "V2V_RootDisk", "value": .string(rootDisk)])
        }
        var container: [String: JSONValue] = [
            "name": "virt-v2v", "image": .string(plan.spec.virtV2vImage ?? Self.defaultConversionImage),
            "env": .array(environment),
            "volumeDevices": .array(
                disks.map {
                    ["name": .string("disk-\($0.index)"), "devicePath": .string("/dev/block\($0.index)")]
                }),
            "resources": requestKVM
                ? [
                    "requests": ["cpu": "1", "memory": "1Gi"],
                    "limits": ["memory": "4Gi", "devices.kubevirt.io/kvm": "1"],
                ]
                : ["requests": ["cpu": "1", "memory": "1Gi"], "limits": ["memory": "4Gi"]],
        ]
        var volumes: [JSONValue] = disks.map {
            ["name": .string("disk-\($0.index)"), "persistentVolumeClaim": ["claimName": .string(pvcName($0))]]
        }
        if let temporary = temporaryStorage {
            container["volumeMounts"] = [["name": "v2v-tmp", "mountPath": "/var/tmp"]]
            volumes.append(["name": "v2v-tmp", "ephemeral": ["volumeClaimTemplate": ["spec": temporary]]])
        }
        var spec: [String: JSONValue] = [
            "restartPolicy": "Never", "containers": [.object(container)], "volumes": .array(volumes),
        ]
        if let selector = nodeSelector(plan.spec.convertorNodeSelector) { spec["nodeSelector"] = selector }
        if let affinity = plan.spec.convertorAffinity { spec["affinity"] = affinity }
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string(conversionPodName), "namespace": .string(namespace), "labels": .object(labels),
            ],
            "spec": .object(spec),
        ]
    }

    /// The claim spec of the conversion's scratch space, when the plan sets a class or a size for it.
    var temporaryStorage: JSONValue? {
        let storageClass = plan.spec.conversionTempStorageClass.flatMap { $0.isEmpty ? nil : $0 }
        let size = plan.spec.conversionTempStorageSize.flatMap { $0.isEmpty ? nil : $0 }
        guard storageClass != nil || size != nil else { return nil }
        var spec: [String: JSONValue] = [
            "accessModes": ["ReadWriteOnce"],
            "resources": ["requests": ["storage": .string(size ?? Self.defaultTemporaryStorageSize)]],
        ]
        if let storageClass { spec["storageClassName"] = .string(storageClass) }
        return .object(spec)
    }

    /// The scratch space a conversion gets when the plan names a class but no size.
    public static let defaultTemporaryStorageSize = "5Gi"
}
