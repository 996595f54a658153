import MTVAPI
import Testing

@testable import MigrationCore

@Suite("Itinerary and target builders")
struct TargetBuilderTests {
    static let providers = ProviderPair(
        source: ObjectReference(name: "ec2", namespace: "ns"),
        destination: ObjectReference(name: "host", namespace: "openshift-mtv"))

    static func builder(
        skipConversion: Bool = false, compatibility: Bool = false, powerState: String? = nil,
        running: Bool = true, template: String? = nil
    ) -> TargetBuilder {
        var spec = Plan.Spec(
            provider: providers, targetNamespace: "vms",
            map: Plan.Maps(
                network: ObjectReference(name: "n", namespace: "ns"),
                storage: ObjectReference(name: "s", namespace: "ns")),
            vms: [Plan.VM(id: "i-1")])
        spec.skipGuestConversion = skipConversion
        spec.useCompatibilityMode = compatibility
        spec.targetPowerState = powerState
        spec.pvcNameTemplate = template
        spec.targetLabels = ["team": "a"]
        var plan = Plan(metadata: ObjectMeta(name: "plan", namespace: "ns"), spec: spec)
        plan.metadata.uid = "plan-uid"
        let record: JSONValue = [
            "id": "i-1", "name": "Web Server", "InstanceType": "m5.xlarge", "cpuCount": 4, "memoryMB": 16384,
            "CpuOptions": ["CoreCount": 2, "ThreadsPerCore": 2], "bootMode": "uefi", "platform": "windows",
            "disks": [
                [
                    "volumeId": "vol-data", "deviceName": "/dev/sdb", "capacityGiB": 50, "volumeType": "gp2",
                    "root": false,
                ],
                [
                    "volumeId": "vol-root", "deviceName": "/dev/sda1", "capacityGiB": 30, "volumeType": "gp3",
                    "root": true,
                ],
            ],
            "nics": [
                ["subnetId": "subnet-a", "macAddress": "0a:00:00:00:00:01", "deviceIndex": 0],
                ["subnetId": "subnet-b", "macAddress": "0a:00:00:00:00:02", "deviceIndex": 1],
                ["subnetId": "subnet-c", "macAddress": "0a:00:00:00:00:03", "deviceIndex": 2],
            ],
        ]
        let networkMap = NetworkMap(
            metadata: ObjectMeta(name: "n"),
            spec: .init(
                provider: providers,
                map: [
                    .init(source: SourceReference(id: "subnet-a"), destination: .init(type: "pod")),
                    .init(source: SourceReference(id: "subnet-b"), destination: .init(type: "ignored")),
                    .init(
                        source: SourceReference(id: "subnet-c"),
                        destination: .init(type: "multus", name: "backend", namespace: "vms")),
                ]))
        let storageMap = StorageMap(
            metadata: ObjectMeta(name: "s"),
            spec: .init(
                provider: providers,
                map: [
                    .init(source: SourceReference(name: "gp3"), destination: .init(storageClass: "gp3-csi")),
                    .init(source: SourceReference(name: "gp2"), destination: .init(storageClass: "gp2-csi")),
                ]))
        return TargetBuilder(
            plan: plan, migrationUID: "mig-uid", record: record, targetName: "web-server", zone: "us-east-1c",
            networkMap: networkMap, storageMap: storageMap, sourceWasRunning: running)
    }

    static func disks(_ builder: TargetBuilder) -> [TargetBuilder.Disk] {
        TargetBuilder.disks(of: builder.record).map { disk in
            var disk = disk
            disk.snapshotID = "snap-\(disk.index)"
            disk.newVolumeID = "vol-new-\(disk.index)"
            return disk
        }
    }

    @Test("the itinerary drops sharing in one account and conversion when skipped; steps follow the phases")
    func itinerary() {
        let full = Itinerary(.init(shareSnapshots: true, convertGuest: true))
        #expect(full.phases.contains(.shareSnapshots) && full.phases.contains(.convertGuest))
        let lean = Itinerary(.init(shareSnapshots: false, convertGuest: false))
        #expect(!lean.phases.contains(.shareSnapshots) && !lean.phases.contains(.createGuestConversionPod))
        #expect(lean.next(after: .createPVsAndPVCs) == .createVM)
        #expect(lean.next(after: .completed) == .completed)
        #expect(
            lean.pipeline(diskMiB: 2048).map(\.name)
                == ["Initialize", "PrepareSource", "CreateSnapshots", "DiskTransfer", "CreateVM", "Cleanup"])
        #expect(lean.pipeline(diskMiB: 2048).first { $0.name == "DiskTransfer" }?.progress.total == 2048)
    }

    @Test("deadlines: a phase's own, and its step's counted from the status so restarts cannot extend it")
    func deadlines() {
        #expect(Itinerary.deadline(of: Step.createSnapshots) == 10 * 60 + 6 * 3600)
        #expect(Itinerary.overdue(.waitForSnapshots, phaseElapsed: 3600, stepElapsed: 3600) == nil)
        #expect(
            Itinerary.overdue(.waitForSnapshots, phaseElapsed: 6 * 3600 + 1, stepElapsed: nil)
                == "WaitForSnapshots did not finish within 360 minutes")
        // A controller that restarted an hour ago sees the phase as young; the step's start says otherwise.
        #expect(
            Itinerary.overdue(.waitForSnapshots, phaseElapsed: 3600, stepElapsed: 7 * 3600)
                == "CreateSnapshots did not finish within 370 minutes of its start")
        #expect(Itinerary.overdue(.waitForPowerOff, phaseElapsed: 60, stepElapsed: nil) == nil)
    }

    @Test("PVC and PV: Block, the source size, EBS CSI with the new volume, pinned to the zone, bound to each other")
    func volumes() {
        let builder = Self.builder()
        let disk = Self.disks(builder)[0]
        let claim = builder.pvc(disk)
        let volume = builder.pv(disk)
        #expect(claim[path: ["metadata", "name"]] == "plan-web-server-disk-0")
        #expect(claim[path: ["spec", "volumeMode"]] == "Block")
        #expect(claim[path: ["spec", "resources", "requests", "storage"]] == "50Gi")
        #expect(claim[path: ["spec", "storageClassName"]] == "gp2-csi")
        #expect(claim[path: ["metadata", "labels", "forklift.konveyor.io/plan"]] == "plan")
        #expect(claim[path: ["spec", "volumeName"]] == volume[path: ["metadata", "name"]])
        #expect(volume[path: ["spec", "csi", "driver"]] == "ebs.csi.aws.com")
        #expect(volume[path: ["spec", "csi", "volumeHandle"]] == "vol-new-0")
        #expect(volume[path: ["spec", "claimRef", "name"]] == "plan-web-server-disk-0")
        #expect(volume[path: ["metadata", "annotations", "pv.kubernetes.io/provisioned-by"]] == "ebs.csi.aws.com")
        let term = volume[path: ["spec", "nodeAffinity", "required", "nodeSelectorTerms"]]?.arrayValue?.first
        #expect(term?["matchExpressions"]?.arrayValue?.first?["values"] == ["us-east-1c"])
    }

    @Test("a PVC name template is rendered and made a DNS-1123 label")
    func template() {
        let builder = Self.builder(template: "{{trunc 3 .PlanName}}-{{.VmId}}-{{.VolumeID}}-{{.DiskIndex}}")
        #expect(builder.pvcName(Self.disks(builder)[1]) == "pla-i-1-vol-root-1")
    }

    @Test("the VM: instance-type size, UEFI, the root disk boots first, one NIC per mapped ENI with its MAC, Windows")
    func virtualMachine() throws {
        let builder = Self.builder()
        let vm = try builder.virtualMachine(Self.disks(builder))
        let domain = try #require(vm[path: ["spec", "template", "spec", "domain"]])
        #expect(domain[path: ["cpu", "cores"]] == 2 && domain[path: ["cpu", "threads"]] == 2)
        #expect(domain[path: ["memory", "guest"]] == "16384Mi")
        #expect(
            domain[path: ["firmware", "bootloader", "efi"]] != nil
                && domain[path: ["features", "smm", "enabled"]] == true)
        #expect(
            domain[path: ["features", "hyperv", "relaxed"]] != nil
                && domain[path: ["clock", "timer", "hpet", "present"]] == false)
        let disks = domain[path: ["devices", "disks"]]?.arrayValue ?? []
        #expect(disks.map { $0["name"] } == ["disk-0", "disk-1"])
        #expect(disks[1]["bootOrder"] == 1 && disks[0]["bootOrder"] == nil, "the root device, not the first, boots")
        let interfaces = domain[path: ["devices", "interfaces"]]?.arrayValue ?? []
        #expect(
            interfaces.map { $0["macAddress"] } == ["0a:00:00:00:00:01", "0a:00:00:00:00:03"],
            "the ignored ENI has no NIC")
        #expect(interfaces.allSatisfy { $0["model"] == "virtio" })
        let networks = vm[path: ["spec", "template", "spec", "networks"]]?.arrayValue ?? []
        #expect(networks[0]["pod"] != nil && networks[1][path: ["multus", "networkName"]] == "vms/backend")
        #expect(vm[path: ["spec", "template", "spec", "nodeSelector", "topology.kubernetes.io/zone"]] == "us-east-1c")
        #expect(vm[path: ["metadata", "labels", "team"]] == "a" && vm[path: ["spec", "runStrategy"]] == "Always")
    }

    @Test(
        "compatibility mode gives SATA, E1000E and a USB tablet; runStrategy follows targetPowerState, else the source")
    func compatibilityAndPower() throws {
        let compatible = Self.builder(skipConversion: true, compatibility: true)
        let domain = try #require(
            try compatible.virtualMachine(Self.disks(compatible))[path: ["spec", "template", "spec", "domain"]])
        #expect(
            domain[path: ["devices", "disks"]]?.arrayValue?.allSatisfy { $0[path: ["disk", "bus"]] == "sata" } == true)
        #expect(domain[path: ["devices", "interfaces"]]?.arrayValue?.allSatisfy { $0["model"] == "e1000e" } == true)
        #expect(domain[path: ["devices", "inputs"]]?.arrayValue?.first?["bus"] == "usb")
        #expect(Self.builder(running: false).runStrategy == "Halted")
        #expect(Self.builder(powerState: "on", running: false).runStrategy == "Always")
        #expect(Self.builder(powerState: "off").runStrategy == "Halted")
    }

    @Test("the conversion pod: container virt-v2v, the EC2 in-place contract, block devices, the zone")
    func conversionPod() {
        let builder = Self.builder()
        var withKVM = builder
        withKVM.requestKVM = true
        let pod = builder.conversionPod(Self.disks(builder))
        let container = pod[path: ["spec", "containers"]]?.arrayValue?.first
        #expect(container?["name"] == "virt-v2v")
        #expect(container?["env"]?.arrayValue?.contains(["name": "V2V_source", "value": "ec2"]) == true)
        #expect(container?["volumeDevices"]?.arrayValue?.map { $0["devicePath"] } == ["/dev/block0", "/dev/block1"])
        #expect(pod[path: ["spec", "nodeSelector", "topology.kubernetes.io/zone"]] == "us-east-1c")
        #expect(container?[path: ["resources", "limits", "devices.kubevirt.io/kvm"]] == nil)
        let accelerated = withKVM.conversionPod(Self.disks(builder))
        #expect(
            accelerated[path: ["spec", "containers"]]?.arrayValue?.first?[path: [
                "resources", "limits", "devices.kubevirt.io/kvm",
            ]] == "1")
    }

    @Test("a VM without instance-type sizing is refused with the reason")
    func missingSizing() {
        var builder = Self.builder()
        builder.record["memoryMB"] = .null
        #expect(throws: TargetBuilder.BuildError.self) { try builder.virtualMachine(Self.disks(builder)) }
    }
}

@Suite("Admission")
struct AdmissionTests {
    @Test("VMs past Started are bounded by the in-flight setting")
    func inFlight() {
        let vms =
            (0..<10).map { _ in Admission.Candidate(phase: .started, disks: 2, snapshotsRequested: false) }
            + [Admission.Candidate(phase: .waitForVolumes, disks: 2, snapshotsRequested: true)]
        #expect(Admission.select(vms, maxInFlight: 4, pendingSnapshotLimit: 100) == [0, 1, 2, 10])
    }

    @Test("snapshot requests wait while pending snapshots would pass the account limit, and never deadlock")
    func pendingSnapshots() {
        // 75 two-disk VMs ready to request their snapshots and nothing pending: 50 go (100 snapshots).
        let waiting = (0..<75).map { _ in
            Admission.Candidate(phase: .createSnapshots, disks: 2, snapshotsRequested: false)
        }
        #expect(Admission.select(waiting, maxInFlight: 100, pendingSnapshotLimit: 100).count == 50)
        // 40 pending two-disk VMs leave room for 10 more.
        let pending = (0..<40).map { _ in
            Admission.Candidate(phase: .waitForSnapshots, disks: 2, snapshotsRequested: true)
        }
        #expect(Admission.select(pending + waiting, maxInFlight: 200, pendingSnapshotLimit: 100).count == 40 + 10)
        // A VM with more disks than the limit goes alone.
        let huge = [Admission.Candidate(phase: .createSnapshots, disks: 120, snapshotsRequested: false)]
        #expect(Admission.select(huge + waiting, maxInFlight: 100, pendingSnapshotLimit: 100) == [0])
        // Completed VMs are ignored.
        let done = [Admission.Candidate(phase: .completed, disks: 2, snapshotsRequested: true, completed: true)]
        #expect(Admission.select(done, maxInFlight: 1, pendingSnapshotLimit: 100).isEmpty)
    }
}
