import MTVAPI
import Testing

@testable import MigrationCore

/// Plan settings that are carried out (root disk, nested virtualization, instance types, conversion pod options)
/// and those that block the plan until they are.
@Suite("Plan settings: carried out or refused, never ignored")
struct PlanSettingsTests {
    func builder(_ change: (inout Plan.Spec) -> Void) -> TargetBuilder {
        var builder = TargetBuilderTests.builder()
        change(&builder.plan.spec)
        return builder
    }

    @Test("rootDisk chooses the boot disk by device name and reaches the conversion as V2V_RootDisk")
    func rootDisk() throws {
        let plain = TargetBuilderTests.builder()
        #expect(plain.bootDisk(TargetBuilderTests.disks(plain))?.sourceVolumeID == "vol-root")
        let chosen = builder { $0.vms[0].rootDisk = "sdb" }
        let disks = TargetBuilderTests.disks(chosen)
        #expect(chosen.bootDisk(disks)?.sourceVolumeID == "vol-data")
        let vm = try chosen.virtualMachine(disks)
        let entries = try #require(vm[path: ["spec", "template", "spec", "domain", "devices", "disks"]]?.arrayValue)
        #expect(entries.first { $0["bootOrder"] != nil }?["name"] == "disk-0")
        let environment = chosen.conversionPod(disks)[path: ["spec", "containers"]]?.arrayValue?.first?["env"]
        #expect(environment?.arrayValue?.contains(["name": "V2V_RootDisk", "value": "sdb"]) == true)
        #expect(
            TargetBuilder.Disk(
                index: 0, sourceVolumeID: "v", deviceName: "/dev/sda1", sizeGiB: 1, volumeType: "gp3",
                isRoot: true
            ).matches(rootDisk: "/dev/sda"))
        #expect(
            !TargetBuilder.Disk(
                index: 0, sourceVolumeID: "v", deviceName: "/dev/sdab", sizeGiB: 1, volumeType: "gp3",
                isRoot: true
            ).matches(rootDisk: "/dev/sda"))
    }

    @Test("nested virtualization: the VM's setting, else the plan's, else on for .metal types; both vendors' flags")
    func nestedVirtualization() throws {
        func features(_ builder: TargetBuilder) throws -> JSONValue? {
            try builder.virtualMachine(TargetBuilderTests.disks(builder))[path: [
                "spec", "template", "spec", "domain",
                "cpu", "features",
            ]]
        }
        #expect(try features(TargetBuilderTests.builder()) == nil)
        let on = try features(builder { $0.enableNestedVirtualization = true })
        #expect(on == [["name": "vmx", "policy": "optional"], ["name": "svm", "policy": "optional"]])
        let vmOff = try features(
            builder {
                $0.enableNestedVirtualization = true
                $0.vms[0].enableNestedVirtualization = false
            })
        #expect(vmOff == [["name": "vmx", "policy": "disable"], ["name": "svm", "policy": "disable"]])
        var metal = TargetBuilderTests.builder()
        metal.record["InstanceType"] = "m5.metal"
        #expect(try features(metal)?.arrayValue?.count == 2)
    }

    @Test("a per-VM instanceType sizes the VM through KubeVirt and drops the builder's own sizing")
    func instanceType() throws {
        let typed = builder { $0.vms[0].instanceType = "u1.large" }
        let vm = try typed.virtualMachine(TargetBuilderTests.disks(typed))
        #expect(
            vm[path: ["spec", "instancetype"]] == ["kind": "VirtualMachineClusterInstancetype", "name": "u1.large"])
        let domain = try #require(vm[path: ["spec", "template", "spec", "domain"]])
        #expect(domain["memory"] == nil && domain["resources"] == nil && domain[path: ["cpu", "cores"]] == nil)
    }

    @Test("convertor affinity and temporary storage reach the conversion pod")
    func conversionPod() throws {
        let affinity: JSONValue = ["nodeAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": []]]
        let pod = builder {
            $0.convertorAffinity = affinity
            $0.conversionTempStorageClass = "scratch"
            $0.conversionTempStorageSize = "20Gi"
        }.conversionPod(TargetBuilderTests.disks(TargetBuilderTests.builder()))
        #expect(pod[path: ["spec", "affinity"]] == affinity)
        let volume = pod[path: ["spec", "volumes"]]?.arrayValue?.first { $0["name"] == "v2v-tmp" }
        #expect(volume?[path: ["ephemeral", "volumeClaimTemplate", "spec", "storageClassName"]] == "scratch")
        #expect(
            volume?[path: ["ephemeral", "volumeClaimTemplate", "spec", "resources", "requests", "storage"]] == "20Gi")
        let mounts = pod[path: ["spec", "containers"]]?.arrayValue?.first?["volumeMounts"]
        #expect(mounts == [["name": "v2v-tmp", "mountPath": "/var/tmp"]])
        #expect(TargetBuilderTests.builder().conversionPod([])[path: ["spec", "affinity"]] == nil)
    }

    @Test("settings that are not carried out block the plan, each named; false and empty ones do not")
    func unsupportedSettings() {
        var validator = PlanValidatorTests.validator(
            vms: [Plan.VM(id: "i-1")],
            inventory: [PlanValidatorTests.vm("i-1", name: "web")])
        validator.rawSpec = [
            "vms": [["id": "i-1", "hooks": [["hook": ["name": "h"], "step": "PreHook"]], "luks": ["name": "keys"]]],
            "preserveStaticIPs": true, "transferNetwork": ["name": "net"], "migrateSharedDisks": true,
            "networkNameTemplate": "", "installLegacyDrivers": true, "pvcNameTemplateUseGenerateName": true,
        ]
        validator.plan.spec.installLegacyDrivers = true
        validator.plan.spec.conversionTempStorageSize = "lots"
        let conditions = validator.conditions()
        let unsupported = conditions[type: "SettingNotSupported"]
        #expect(unsupported?.category == Condition.Category.critical)
        #expect(
            unsupported?.items == [
                "installLegacyDrivers", "pvcNameTemplateUseGenerateName",
                "transferNetwork", "vms[0].luks",
            ])
        // What the upstream CLI sets by default is accepted: carried out, or named in a warning when moot for EC2.
        let moot = conditions[type: "SettingNotApplicable"]
        #expect(
            moot?.category == Condition.Category.warn && moot?.items?.first?.hasPrefix("preserveStaticIPs:") == true)
        #expect(conditions[type: "SettingNotValid"]?.items?.first?.contains("conversionTempStorageSize") == true)
    }

    @Test("a rootDisk that names none of the VM's disks blocks the plan")
    func rootDiskNotFound() {
        var vm = Plan.VM(id: "i-1")
        vm.rootDisk = "/dev/sdz"
        var record = PlanValidatorTests.vm("i-1", name: "web")
        record["disks"] = [["volumeId": "vol-1", "deviceName": "/dev/xvda", "volumeType": "gp3"]]
        let conditions = PlanValidatorTests.validator(vms: [vm], inventory: [record]).conditions()
        #expect(conditions[type: "VMRootDiskNotFound"]?.items?.first?.contains("/dev/xvda") == true)
    }
}
