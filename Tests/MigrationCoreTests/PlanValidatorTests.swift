import MTVAPI
import Testing

@testable import MigrationCore

@Suite("Plan preflight checks")
struct PlanValidatorTests {
    static let providers = ProviderPair(
        source: ObjectReference(name: "ec2", namespace: "ns"),
        destination: ObjectReference(name: "host", namespace: "openshift-mtv"))

    static func vm(
        _ id: String, name: String, arch: String = "x86_64", subnets: [String] = ["subnet-a"],
        types: [String] = ["gp3"], power: String = "Off", encrypted: Bool = false, instanceStore: Bool = false
    ) -> JSONValue {
        [
            "id": .string(id), "name": .string(name), "Architecture": .string(arch), "powerState": .string(power),
            "nics": .array(subnets.map { ["subnetId": .string($0)] }),
            "disks": .array(types.map { ["volumeType": .string($0), "encrypted": .bool(encrypted)] }),
            "concerns": instanceStore ? [["label": "Instance store", "category": "Warning"]] : [],
        ]
    }

    static func validator(
        vms: [Plan.VM], inventory: [JSONValue], network: [(String, String)] = [("subnet-a", "pod")],
        storage: [(String, String)] = [("gp3", "gp3-csi")],
        workers: [PlanValidator.WorkerNode] = [.init(zone: "us-east-1c", architecture: "amd64")],
        zone: String? = "us-east-1c", crossAccount: Bool = false, taken: Set<String> = [], type: String? = nil
    ) -> PlanValidator {
        var spec = Plan.Spec(
            provider: providers, targetNamespace: "vms",
            map: Plan.Maps(
                network: ObjectReference(name: "n", namespace: "ns"),
                storage: ObjectReference(name: "s", namespace: "ns")),
            vms: vms)
        spec.type = type
        let networkMap = NetworkMap(
            metadata: ObjectMeta(name: "n", namespace: "ns"),
            spec: .init(
                provider: providers,
                map: network.map {
                    .init(source: SourceReference(id: $0.0), destination: NetworkMap.Destination(type: $0.1))
                }))
        let storageMap = StorageMap(
            metadata: ObjectMeta(name: "s", namespace: "ns"),
            spec: .init(
                provider: providers,
                map: storage.map {
                    .init(source: SourceReference(name: $0.0), destination: StorageMap.Destination(storageClass: $0.1))
                }))
        return PlanValidator(
            plan: Plan(metadata: ObjectMeta(name: "p", namespace: "ns"), spec: spec), inventory: inventory,
            networkMap: networkMap, storageMap: storageMap,
            storageClasses: [
                .init(name: "gp3-csi", provisioner: "ebs.csi.aws.com"),
                .init(name: "ceph", provisioner: "rbd.csi.ceph.com"),
            ],
            workers: workers, targetZone: zone, crossAccount: crossAccount, takenNames: taken)
    }

    @Test("a plan whose VMs are all mapped and placeable has no blocking condition")
    func clean() {
        let conditions = Self.validator(vms: [Plan.VM(id: "i-1")], inventory: [Self.vm("i-1", name: "web")])
            .conditions()
        #expect(conditions.isEmpty)
    }

    @Test("modes that are not honoured warn on the plan only for volume types its VMs have")
    func storageModes() {
        var validator = Self.validator(
            vms: [Plan.VM(id: "i-1")], inventory: [Self.vm("i-1", name: "web")],
            storage: [("gp3", "gp3-csi"), ("st1", "gp3-csi")])
        validator.storageMap.spec.map[1].destination.volumeMode = "Filesystem"
        #expect(validator.conditions().isEmpty, "the plan's VM has no st1 volume")
        validator.storageMap.spec.map[0].destination.volumeMode = "Filesystem"
        let condition = validator.conditions()[type: "StorageModeNotHonoured"]
        #expect(
            condition?.category == Condition.Category.warn
                && condition?.items == ["gp3 -> gp3-csi: volumeMode Filesystem"])
    }

    @Test("each blocking problem is its own Critical condition naming the VM")
    func blocking() {
        let inventory = [
            Self.vm("i-arm", name: "arm", arch: "arm64"), Self.vm("i-net", name: "net", subnets: ["subnet-b"]),
            Self.vm("i-io1", name: "io", types: ["io1"]),
            Self.vm("i-two", name: "two", subnets: ["subnet-a", "subnet-c"]),
            Self.vm("i-none", name: "none", types: []),
        ]
        let vms =
            ["i-arm", "i-net", "i-io1", "i-two", "i-none", "i-gone"].map { Plan.VM(id: $0) } + [Plan.VM(id: "i-arm")]
        let conditions = Self.validator(
            vms: vms, inventory: inventory, network: [("subnet-a", "pod"), ("subnet-c", "pod")]
        )
        .conditions()
        func items(_ type: String) -> [String] {
            let condition = conditions[type: type]
            #expect(condition?.category == Condition.Category.critical, "\(type)")
            return condition?.items ?? []
        }
        #expect(items("VMArchitectureNotSupported") == ["id:i-arm name:'arm': arm64"])
        #expect(items("VMNetworksNotMapped") == ["id:i-net name:'net': subnet-b"])
        #expect(items("VMStorageNotMapped") == ["id:i-io1 name:'io': io1"])
        #expect(items("VMMultiplePodNetworks") == ["id:i-two name:'two'"])
        #expect(items("VMHasNoEBSVolumes") == ["id:i-none name:'none'"])
        #expect(items("VMNotFound") == ["id:i-gone"])
        #expect(items("DuplicateVM") == ["id:i-arm name:'arm'"])
    }

    @Test("cluster-level problems: a non-EBS or missing class, a target zone without workers, an unsupported type")
    func clusterLevel() {
        let conditions = Self.validator(
            vms: [Plan.VM(id: "i-1")], inventory: [Self.vm("i-1", name: "web")],
            storage: [("gp3", "ceph"), ("gp2", "gone")], zone: "us-east-1a", type: "warm"
        ).conditions()
        #expect(conditions[type: "StorageClassNotEBS"]?.items == ["ceph (rbd.csi.ceph.com)"])
        #expect(conditions[type: "StorageClassNotFound"]?.items == ["gone"])
        #expect(conditions[type: "TargetZoneHasNoNodes"]?.message?.contains("us-east-1c") == true)
        #expect(conditions[type: "MigrationTypeNotValid"]?.category == Condition.Category.critical)
    }

    @Test("warnings do not block: instance store, running source, encrypted volumes across accounts")
    func warnings() {
        let conditions = Self.validator(
            vms: [Plan.VM(name: "web")],
            inventory: [Self.vm("i-1", name: "web", power: "On", encrypted: true, instanceStore: true)],
            crossAccount: true
        )
        .conditions()
        #expect(Set(conditions.map(\.type)) == ["VMInstanceStore", "VMPoweredOn", "EncryptedVolumeKey"])
        #expect(conditions.allSatisfy { $0.category == Condition.Category.warn })
    }

    @Test(
        "across accounts, an AWS-managed key or one the target account may not use blocks the plan, naming the volume")
    func keysAcrossAccounts() {
        var record = Self.vm("i-1", name: "web")
        record["disks"] = [
            ["volumeId": "vol-a", "volumeType": "gp3", "encrypted": true, "kmsKeyId": "arn:aws:kms:r:1:key/aws"],
            ["volumeId": "vol-b", "volumeType": "gp3", "encrypted": true, "kmsKeyId": "arn:aws:kms:r:1:key/cmk"],
            ["volumeId": "vol-c", "volumeType": "gp3", "encrypted": true, "kmsKeyId": "arn:aws:kms:r:1:key/shared"],
            ["volumeId": "vol-d", "volumeType": "gp3", "encrypted": false],
        ]
        #expect(
            PlanValidator.keysToCheck([record, record])
                == ["arn:aws:kms:r:1:key/aws", "arn:aws:kms:r:1:key/cmk", "arn:aws:kms:r:1:key/shared"])
        var validator = Self.validator(vms: [Plan.VM(id: "i-1")], inventory: [record], crossAccount: true)
        validator.keys = [
            "arn:aws:kms:r:1:key/aws": .awsManaged, "arn:aws:kms:r:1:key/cmk": .notUsable("AccessDeniedException: no"),
            "arn:aws:kms:r:1:key/shared": .usable,
        ]
        let conditions = validator.conditions()
        let managed = conditions[type: "EncryptedVolumeKeyNotShareable"]
        #expect(managed?.category == Condition.Category.critical && managed?.items == ["id:i-1 name:'web': vol-a"])
        let denied = conditions[type: "EncryptedVolumeKeyNotUsable"]
        #expect(denied?.category == Condition.Category.critical)
        #expect(denied?.items == ["id:i-1 name:'web': vol-b (arn:aws:kms:r:1:key/cmk): AccessDeniedException: no"])
        #expect(conditions[type: "EncryptedVolumeKey"] == nil, "every key was checked")
        validator.crossAccount = false
        #expect(validator.conditions().isEmpty, "within one account the volumes keep their key")
    }

    @Test("a targetName that is taken or not a DNS-1123 label blocks the plan")
    func names() {
        var vm = Plan.VM(id: "i-1")
        vm.targetName = "taken"
        let taken = Self.validator(vms: [vm], inventory: [Self.vm("i-1", name: "web")], taken: ["taken"]).conditions()
        #expect(taken[type: "TargetNameNotValid"]?.items?.first?.contains("already taken") == true)
        vm.targetName = "Not_Valid"
        let invalid = Self.validator(vms: [vm], inventory: [Self.vm("i-1", name: "web")]).conditions()
        #expect(invalid[type: "TargetNameNotValid"] != nil)
        let automatic = Self.validator(
            vms: [Plan.VM(id: "i-1")], inventory: [Self.vm("i-1", name: "web")], taken: ["web"])
        #expect(automatic.conditions().isEmpty)
    }
}
