import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// Migrations end to end: a sandbox AWS (moto + the EC2 proxy with state delays, the fixture fleet), the fake
/// cluster, `mtv-controller` and `kubectl mtv create|start|cancel plan`; then the AWS CLI and the cluster are
/// checked for what must and must not remain.
@Suite(
    "Migrations end to end", .serialized,
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct MigrationEndToEndTests {
    /// A scenario with a provider `my-ec2` over a fresh sandbox, its inventory collected.
    static func withSandbox(
        stateDelays: String = "stop=0.5,snapshot=1,volume=0.5", extra: Int = 0, inventoryInterval: Double = 1,
        _ body: (Scenario, AWSSandbox) async throws -> Void
    ) async throws {
        let sandbox = try await AWSSandbox(stateDelays: stateDelays, extra: extra)
        defer { sandbox.stop() }
        try await Scenario.with(controllerArguments: ["--inventory-interval", "\(inventoryInterval)"]) { scenario in
            let created = try await scenario.mtv(
                "create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", "us-east-1",
                "--username", scenario.sourceKey, "--password", scenario.sourceSecret, "--url",
                sandbox.url.absoluteString,
                "--auto-target-credentials")
            #expect(created.status == 0, "\(created.stderr)")
            _ = try await scenario.waitFor(provider: "my-ec2", condition: "InventoryCreated")
            try await body(scenario, sandbox)
        }
    }

    /// Creates a plan (which must become Ready), starts it, and waits for its migration to end.
    static func migrate(
        _ scenario: Scenario, plan: String, _ arguments: [String], seconds: Double = 90
    ) async throws -> Migration {
        let created = try await scenario.mtv(["create", "plan", plan, "--source", "my-ec2"] + arguments)
        #expect(
            created.status == 0 && created.stdout.contains("The plan is Ready."), "\(created.stdout)\(created.stderr)")
        let started = try await scenario.mtv("start", "plan", plan)
        #expect(started.status == 0, "\(started.stderr)")
        return try await finished(scenario, plan: plan, seconds: seconds)
    }

    /// Waits until the plan's migration has completed.
    static func finished(_ scenario: Scenario, plan: String, seconds: Double = 90) async throws -> Migration {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let migrations = try await scenario.client.list(Migration.self, namespace: scenario.namespace).items
            if let done = migrations.first(where: { $0.spec.plan.name == plan && $0.status?.completed != nil }) {
                return done
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        let migrations = try await scenario.client.list(Migration.self, namespace: scenario.namespace).items
        Issue.record("the migration of \(plan) did not finish: \(migrations.map { String(describing: $0.status) })")
        throw CancellationError()
    }

    /// The AWS CLI's JSON answer.
    static func aws(_ sandbox: AWSSandbox, _ scenario: Scenario, _ arguments: [String]) async throws -> JSONValue {
        let result = try await sandbox.aws(
            arguments + ["--output", "json"], environment: scenario.environment.variables)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try JSONValue(parsing: Data(result.stdout.utf8))
    }

    /// Snapshots and volumes the AWS CLI finds by slide 16's vmID tag.
    static func tagged(
        _ sandbox: AWSSandbox, _ scenario: Scenario, _ instance: String
    ) async throws -> (snapshots: [JSONValue], volumes: [JSONValue]) {
        let filter = "Name=tag:forklift.konveyor.io/vmID,Values=\(instance)"
        let snapshots =
            try await aws(sandbox, scenario, ["describe-snapshots", "--filters", filter])["Snapshots"]?.arrayValue ?? []
        let volumes =
            try await aws(sandbox, scenario, ["describe-volumes", "--filters", filter])["Volumes"]?.arrayValue ?? []
        return (snapshots, volumes)
    }

    static func tags(_ resource: JSONValue) -> [String: String] {
        Dictionary(
            (resource["Tags"]?.arrayValue ?? []).compactMap { tag in
                tag["Key"]?.stringValue.map { ($0, tag["Value"]?.stringValue ?? "") }
            }, uniquingKeysWith: { first, _ in first })
    }

    static func vm(_ scenario: Scenario, _ namespace: String, _ name: String) async throws -> JSONValue {
        try await scenario.client.get(.virtualMachines, name: name, namespace: namespace)
    }

    @Test("a stopped single-disk instance becomes a Halted VM; the snapshots go, the new volume keeps slide 16's tags")
    func stoppedSingleDisk() async throws {
        try await Self.withSandbox { scenario, sandbox in
            let id = try #require(sandbox.instances["web-2"])
            let migration = try await Self.migrate(
                scenario, plan: "migrate-webserver",
                [
                    "--vms", id, "--target-namespace", "\(scenario.namespace)-vms", "--default-target-network",
                    "default",
                    "--default-target-storage-class", "gp3-csi",
                ])
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration.status))")
            let status = try #require(migration.status?.vms?.first)
            #expect(status.phase == "Completed" && status.error == nil && status.newName == "web-2")
            #expect(status.pipeline.allSatisfy { $0.phase == "Completed" }, "\(status.pipeline)")

            let namespace = "\(scenario.namespace)-vms"
            let vm = try await Self.vm(scenario, namespace, "web-2")
            // An Amazon Linux image has no libosinfo ID: the status names it, the VM carries no OS template label.
            #expect(migration.status?.vms?.first?.operatingSystem == "Amazon Linux 2")
            #expect(
                vm[path: ["metadata", "labels"]]?.objectValue?.keys.contains {
                    $0.hasPrefix("os.template.kubevirt.io/")
                } == false)
            #expect(vm[path: ["spec", "runStrategy"]] == "Halted")
            let domain = try #require(vm[path: ["spec", "template", "spec", "domain"]])
            #expect(
                domain[path: ["cpu", "cores"]]?.intValue.map { $0 * (domain[path: ["cpu", "threads"]]?.intValue ?? 1) }
                    == 2)
            #expect(domain[path: ["memory", "guest"]] == "4096Mi")  // t3.medium: 2 vCPU, 4 GiB
            #expect(
                vm[path: ["spec", "template", "spec", "nodeSelector", "topology.kubernetes.io/zone"]] == "us-east-1c")

            let claims = try await scenario.client.list(
                PersistentVolumeClaim.self, namespace: namespace,
                options: ListOptions(labelSelector: "forklift.konveyor.io/plan=migrate-webserver")
            ).items
            #expect(claims.count == 1)
            #expect(claims.allSatisfy { $0.status?["phase"] == "Bound" })
            #expect(claims.first?.metadata.ownerReferences?.first?.kind == "VirtualMachine")

            let (snapshots, volumes) = try await Self.tagged(sandbox, scenario, id)
            #expect(snapshots.isEmpty, "no migration snapshot remains: \(snapshots)")
            #expect(volumes.count == 1)
            let tags = Self.tags(try #require(volumes.first))
            #expect(tags["forklift.konveyor.io/vm-name"] == "web-2")
            #expect(tags["forklift.konveyor.io/volume"]?.hasPrefix("vol-") == true)
            #expect(tags["forklift.konveyor.io/snapshot"]?.hasPrefix("snap-") == true)
            #expect(volumes.first?["AvailabilityZone"] == "us-east-1c")

            let listed = try await scenario.mtv("get", "plan", "migrate-webserver")
            #expect(listed.stdout.contains("Succeeded"), "\(listed.stdout)")
            let pipelines = try await scenario.mtv("get", "plan", "migrate-webserver", "--vms", "--disk")
            #expect(
                pipelines.stdout.contains("DiskTransfer") && pipelines.stdout.contains("-> web-2"),
                "\(pipelines.stdout)")

            // Orphans of an interrupted attempt of this cluster, found by tag; the migrated VM's volume is in use and
            // stays; another cluster's orphan in the same account is left alone and counted.
            let volumeID = try #require(volumes.first?["VolumeId"]?.stringValue)
            #expect(
                volumes.first.map { Self.tag($0, "forklift.konveyor.io/cluster-uid") }
                    == (try await scenario.client.clusterUID()))
            let cluster = try await scenario.client.clusterUID()
            let orphanTags =
                "Tags=[{Key=forklift.konveyor.io/migration-uid,Value=gone-attempt},{Key=forklift.konveyor.io/vmID,Value=\(id)},"
                + "{Key=forklift.konveyor.io/cluster-uid,Value=\(cluster)}]"
            let foreignTags =
                "Tags=[{Key=forklift.konveyor.io/migration-uid,Value=elsewhere},{Key=forklift.konveyor.io/vmID,Value=\(id)},"
                + "{Key=forklift.konveyor.io/cluster-uid,Value=another-cluster}]"
            let orphanSnapshot = try await Self.aws(
                sandbox, scenario,
                [
                    "create-snapshot", "--volume-id", volumeID,
                    "--tag-specifications", "ResourceType=snapshot,\(orphanTags)",
                ])["SnapshotId"]?.stringValue
            let foreignSnapshot = try await Self.aws(
                sandbox, scenario,
                [
                    "create-snapshot", "--volume-id", volumeID,
                    "--tag-specifications", "ResourceType=snapshot,\(foreignTags)",
                ])["SnapshotId"]?.stringValue
            let orphanVolume = try await Self.aws(
                sandbox, scenario,
                [
                    "create-volume", "--availability-zone", "us-east-1c", "--size", "1",
                    "--tag-specifications", "ResourceType=volume,\(orphanTags)",
                ])["VolumeId"]?.stringValue
            // An orphan is an available volume; the proxy keeps a new one "creating" for a moment.
            let waited = try await sandbox.aws(
                ["wait", "volume-available", "--volume-ids", orphanVolume ?? "?"],
                environment: scenario.environment.variables)
            #expect(waited.status == 0, "\(waited.stderr)")
            let preview = try await scenario.mtv("cleanup", "--provider", "my-ec2", "--dry-run")
            #expect(preview.status == 0, "\(preview.stderr)")
            for orphan in [orphanSnapshot, orphanVolume] {
                #expect(preview.stdout.contains(orphan ?? "?"), "\(preview.stdout)")
            }
            #expect(!preview.stdout.contains(volumeID), "a volume bound as a PV is in use")
            #expect(!preview.stdout.contains(foreignSnapshot ?? "?"), "another cluster's snapshot is not touched")
            #expect(preview.stdout.contains("Left alone: 1 "), "\(preview.stdout)")
            let cleaned = try await scenario.mtv("cleanup", "--provider", "my-ec2")
            #expect(cleaned.stdout.components(separatedBy: "deleted").count == 3, "\(cleaned.stdout)")
            let after = try await Self.tagged(sandbox, scenario, id)
            #expect(after.snapshots.map { $0["SnapshotId"]?.stringValue } == [foreignSnapshot])
            #expect(after.volumes.map { $0["VolumeId"]?.stringValue } == [volumeID])
        }
    }

    /// The value of an AWS CLI answer's tag.
    static func tag(_ resource: JSONValue, _ key: String) -> String? {
        resource["Tags"]?.arrayValue?.first { $0["Key"]?.stringValue == key }?["Value"]?.stringValue
    }

    @Test("a running multi-disk, multi-NIC instance is stopped, migrated with both disks and NICs, and its VM runs")
    func runningMultiDiskMultiNIC() async throws {
        try await Self.withSandbox { scenario, sandbox in
            let id = try #require(sandbox.instances["web-1"])
            let instance = try await Self.aws(sandbox, scenario, ["describe-instances", "--instance-ids", id])
            let first = try #require(
                instance[path: ["Reservations"]]?.arrayValue?.first?["Instances"]?.arrayValue?.first)
            let subnet = try #require(first["SubnetId"]?.stringValue)
            let vpc = try #require(first["VpcId"]?.stringValue)
            let subnets = try await Self.aws(
                sandbox, scenario, ["describe-subnets", "--filters", "Name=vpc-id,Values=\(vpc)"])
            let other = try #require(
                subnets["Subnets"]?.arrayValue?.compactMap { $0["SubnetId"]?.stringValue }.first { $0 != subnet })
            let eni = try await Self.aws(sandbox, scenario, ["create-network-interface", "--subnet-id", other])
            let eniID = try #require(eni[path: ["NetworkInterface", "NetworkInterfaceId"]]?.stringValue)
            _ = try await Self.aws(
                sandbox, scenario,
                [
                    "attach-network-interface", "--network-interface-id", eniID,
                    "--instance-id", id, "--device-index", "1",
                ])
            // The next inventory pass sees the second NIC.
            var nics = 0
            for _ in 0..<40 where nics < 2 {
                try await Task.sleep(nanoseconds: 250_000_000)
                let seen = try await scenario.inventory(
                    "ec2-instance", "my-ec2", "-q", "where id = '\(id)'", "-o", "json")
                nics =
                    (try? JSONValue(parsing: Data(seen.stdout.utf8)))?.arrayValue?.first?["nics"]?.arrayValue?.count
                    ?? 0
            }
            #expect(nics == 2)
            let namespace = "\(scenario.namespace)-multi"
            let migration = try await Self.migrate(
                scenario, plan: "multi",
                [
                    "--vms", "web-1", "--target-namespace", namespace,
                    "--network-pairs", "\(subnet):default,\(other):\(namespace)/backend",
                ])
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration.status))")
            #expect(migration.status?.vms?.first?.restorePowerState == "On")

            let state = try await Self.aws(sandbox, scenario, ["describe-instances", "--instance-ids", id])
            #expect(
                state[path: ["Reservations"]]?.arrayValue?.first?["Instances"]?.arrayValue?.first?[path: [
                    "State", "Name",
                ]] == "stopped")
            let vm = try await Self.vm(scenario, namespace, "web-1")
            #expect(vm[path: ["spec", "runStrategy"]] == "Always")
            let devices = try #require(vm[path: ["spec", "template", "spec", "domain", "devices"]])
            #expect(devices["disks"]?.arrayValue?.count == 2)
            #expect(devices["disks"]?.arrayValue?.first?["bootOrder"] == 1)
            let interfaces = devices["interfaces"]?.arrayValue ?? []
            #expect(interfaces.count == 2)
            #expect(interfaces.allSatisfy { $0["macAddress"]?.stringValue?.isEmpty == false })
            let networks = vm[path: ["spec", "template", "spec", "networks"]]?.arrayValue ?? []
            #expect(networks.last?[path: ["multus", "networkName"]] == .string("\(namespace)/backend"))
            #expect(try await Self.tagged(sandbox, scenario, id).snapshots.isEmpty)
            #expect(try await Self.tagged(sandbox, scenario, id).volumes.count == 2)
        }
    }

    @Test(
        "a Windows instance with --skip-guest-conversion --use-compatibility-mode gets SATA, E1000E and USB, no conversion pod"
    )
    func windowsCompatibility() async throws {
        try await Self.withSandbox { scenario, sandbox in
            let id = try #require(sandbox.instances["win-1"])
            let namespace = "\(scenario.namespace)-legacy"
            let migration = try await Self.migrate(
                scenario, plan: "migrate-legacy",
                [
                    "--vms", id, "--target-namespace", namespace, "--skip-guest-conversion", "--use-compatibility-mode",
                ])
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration.status))")
            #expect(migration.status?.vms?.first?.pipeline.contains { $0.name == "ImageConversion" } == false)
            let vm = try await Self.vm(scenario, namespace, "win-1")
            let domain = try #require(vm[path: ["spec", "template", "spec", "domain"]])
            #expect(
                domain[path: ["devices", "disks"]]?.arrayValue?.allSatisfy { $0[path: ["disk", "bus"]] == "sata" }
                    == true)
            #expect(domain[path: ["devices", "interfaces"]]?.arrayValue?.first?["model"] == "e1000e")
            #expect(domain[path: ["devices", "inputs"]]?.arrayValue?.first?["bus"] == "usb")
            #expect(domain[path: ["features", "hyperv", "relaxed"]] != nil)
            #expect(domain[path: ["memory", "guest"]] == "16384Mi")  // m5.xlarge: 4 vCPU, 16 GiB
            let pods = try await scenario.client.listAll(.pods, namespace: namespace).items
            #expect(pods.isEmpty, "no conversion pod when conversion is skipped")
            // The OS the image names (moto's Windows_Server-20NN-… AMI), in the VM's status and the console's labels.
            let os = try #require(migration.status?.vms?.first?.operatingSystem)
            #expect(["win2k16", "win2k19", "win2k22"].contains(os), "\(os)")
            #expect(vm[path: ["metadata", "labels", "os.template.kubevirt.io/\(os)"]] == "true")
            #expect(vm[path: ["spec", "template", "metadata", "annotations", "vm.kubevirt.io/os"]] == .string(os))
            #expect(vm[path: ["metadata", "annotations", "vm.kubevirt.io/workload"]] == "server")
        }
    }

    @Test("a plan of several VMs migrates them at once; AWS calls per VM by action are recorded")
    func severalVMs() async throws {
        try await Self.withSandbox { scenario, sandbox in
            let unnamed = try #require(sandbox.instances.keys.first { $0.hasPrefix("i-") })
            try await sandbox.control.resetCalls()
            let migration = try await Self.migrate(
                scenario, plan: "many",
                [
                    "--vms", "web-1,web-2,\(unnamed)", "--target-namespace", "\(scenario.namespace)-many",
                ])
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration.status))")
            #expect(migration.status?.vms?.count == 3)
            let started = (migration.status?.vms ?? []).compactMap(\.started)
            #expect(Set(started).count <= 2, "the VMs start together")
            let calls = try await sandbox.control.calls()
            let migrationActions = ["StopInstances", "CreateSnapshots", "CreateVolume", "DeleteSnapshot", "CreateTags"]
            var perVM: [String: Double] = [:]
            for action in migrationActions { perVM[action] = Double(calls[action] ?? 0) / 3 }
            print(
                "AWS calls per VM (3 VMs, 4 disks, 1 running): \(perVM.filter { $0.value > 0 }.sorted { $0.key < $1.key })"
            )
            #expect(calls["CreateSnapshots"] == 3, "one CreateSnapshots per instance")
            #expect(calls["CreateVolume"] == 4, "one CreateVolume per disk")
            #expect(calls["StopInstances"] == 1, "only the running instance is stopped")
            #expect(calls["DeleteSnapshot"] == 4)
        }
    }
}

extension MigrationEndToEndTests {
    /// Checks that a failed or canceled VM left nothing behind: no snapshot or volume tagged with its
    /// instance (other than the source's own), no PVC, PV, pod or VM of the migration.
    static func nothingLeft(
        _ scenario: Scenario, _ sandbox: AWSSandbox, instance: String, namespace: String
    ) async throws {
        let (snapshots, volumes) = try await tagged(sandbox, scenario, instance)
        #expect(snapshots.isEmpty, "snapshots left: \(snapshots)")
        #expect(volumes.isEmpty, "volumes left: \(volumes)")
        for resource in [ResourceType.persistentVolumeClaims, .pods, .virtualMachines] {
            let items = (try? await scenario.client.listAll(resource, namespace: namespace).items) ?? []
            #expect(items.isEmpty, "\(resource.kind) left: \(items.count)")
        }
        let volumesLeft = try await scenario.client.listAll(
            .persistentVolumes,
            options: ListOptions(labelSelector: "forklift.konveyor.io/vmID=\(instance)")
        ).items
        #expect(volumesLeft.isEmpty, "PVs left: \(volumesLeft.count)")
    }

    static func instanceState(_ sandbox: AWSSandbox, _ scenario: Scenario, _ id: String) async throws -> String? {
        try await aws(sandbox, scenario, ["describe-instances", "--instance-ids", id])[path: ["Reservations"]]?
            .arrayValue?.first?["Instances"]?
            .arrayValue?.first?[path: ["State", "Name"]]?.stringValue
    }

    @Test(
        "a failing conversion pod fails the VM with its log tail, removes snapshots and volumes, and restarts the source"
    )
    func conversionFails() async throws {
        try await Self.withSandbox { scenario, sandbox in
            let id = try #require(sandbox.instances["web-1"])
            let namespace = "\(scenario.namespace)-conv"
            try await ControlAPI.call(
                "POST", scenario.environment.fakeKubeControl.appending(path: "pods/fail"),
                [
                    "namespace": namespace, "exitCode": 1,
                    "log": "virt-v2v: error: inspection could not detect the source guest\n",
                ])
            let migration = try await Self.migrate(
                scenario, plan: "conv", ["--vms", "web-1", "--target-namespace", namespace])
            #expect(migration.status?.conditions?.isTrue("Failed") == true)
            let vm = try #require(migration.status?.vms?.first)
            #expect(vm.error?.phase == "ConvertGuest")
            #expect(
                vm.error?.reasons.first?.contains("inspection could not detect the source guest") == true,
                "\(String(describing: vm.error))")
            try await Self.nothingLeft(scenario, sandbox, instance: id, namespace: namespace)
            #expect(
                ["running", "pending"].contains(try await Self.instanceState(sandbox, scenario, id) ?? ""),
                "the source runs again")
            let plan = try await scenario.client.get(Plan.self, name: "conv", namespace: scenario.namespace)
            #expect(plan.status?.conditions?.isTrue("Failed") == true)
        }
    }

    @Test("a permanent AWS error mid-pipeline fails the VM at once with the code and the call, and cleans up")
    func permanentAWSError() async throws {
        try await Self.withSandbox { scenario, sandbox in
            let id = try #require(sandbox.instances["web-2"])
            let namespace = "\(scenario.namespace)-perm"
            try await sandbox.control.resetCalls()
            try await sandbox.control.armFault([
                "action": "CreateVolume", "code": "UnauthorizedOperation", "count": 1,
                "message": "You are not authorized to perform this operation.",
            ])
            let migration = try await Self.migrate(
                scenario, plan: "perm", ["--vms", "web-2", "--target-namespace", namespace])
            let vm = try #require(migration.status?.vms?.first)
            #expect(vm.error?.phase == "CreateVolumes")
            let reason = vm.error?.reasons.first ?? ""
            #expect(reason.contains("UnauthorizedOperation") && reason.contains("CreateVolume"), "\(reason)")
            let calls = try await sandbox.control.calls()
            #expect(calls["CreateVolume"] == 1, "a permanent error is not retried")
            try await Self.nothingLeft(scenario, sandbox, instance: id, namespace: namespace)
            #expect(
                try await Self.instanceState(sandbox, scenario, id) == "stopped", "it was stopped before and stays so")
        }
    }

    /// Creates a one-VM plan, starts it and waits until the VM waits for its snapshots; returns its Migration.
    static func startUntilSnapshotting(
        _ scenario: Scenario, plan: String, vm: String, namespace: String
    ) async throws -> Migration? {
        let created = try await scenario.mtv(
            "create", "plan", plan, "--source", "my-ec2", "--vms", vm, "--target-namespace", namespace)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try await scenario.mtv("start", "plan", plan).status == 0)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let migration = try await scenario.client.list(Migration.self, namespace: scenario.namespace).items
                .first { $0.spec.plan.name == plan }
            if migration?.status?.vms?.first?.phase == "WaitForSnapshots" { return migration }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        Issue.record("plan \(plan) did not reach WaitForSnapshots")
        return nil
    }

    @Test("cancel mid-pipeline stops the VM's migration and removes its snapshots")
    func cancelMidPipeline() async throws {
        try await Self.withSandbox(stateDelays: "stop=0.5,snapshot=30,volume=0.5") { scenario, sandbox in
            let id = try #require(sandbox.instances["web-2"])
            let namespace = "\(scenario.namespace)-cancel"
            _ = try await Self.startUntilSnapshotting(scenario, plan: "cancel-me", vm: "web-2", namespace: namespace)
            let unknown = try await scenario.mtv("cancel", "plan", "cancel-me", "--vms", "no-such-vm")
            #expect(unknown.status != 0 && unknown.stderr.contains("not in plan"), "\(unknown.stderr)")
            let canceled = try await scenario.mtv("cancel", "plan", "cancel-me", "--vms", "web-2")
            #expect(canceled.status == 0, "\(canceled.stderr)")
            let migration = try await Self.finished(scenario, plan: "cancel-me")
            #expect(
                migration.status?.conditions?.isTrue("Canceled") == true,
                "\(String(describing: migration.status?.conditions))")
            #expect(migration.status?.vms?.first?.conditions?.isTrue("Canceled") == true)
            try await Self.nothingLeft(scenario, sandbox, instance: id, namespace: namespace)
        }
    }

    @Test("deleting a running migration or plan with kubectl stops its VM first and leaves nothing behind")
    func deletedWithKubectl() async throws {
        try await Self.withSandbox(stateDelays: "stop=0.5,snapshot=30,volume=0.5") { scenario, sandbox in
            for (plan, vm, deleting) in [("drop-migration", "web-2", "migration"), ("drop-plan", "web-1", "plan")] {
                let id = try #require(sandbox.instances[vm])
                let namespace = "\(scenario.namespace)-\(plan)"
                let migration = try #require(
                    try await Self.startUntilSnapshotting(scenario, plan: plan, vm: vm, namespace: namespace))
                let planObject = try await scenario.client.get(Plan.self, name: plan, namespace: scenario.namespace)
                for finalizers in [migration.metadata.finalizers, planObject.metadata.finalizers] {
                    #expect(finalizers == ["forklift.konveyor.io/ec2-migration"], "\(String(describing: finalizers))")
                }
                #expect(!(try await Self.tagged(sandbox, scenario, id).snapshots.isEmpty), "snapshots are pending")
                // kubectl waits for the object to be gone, which is after the controller has cleaned up.
                let name = deleting == "plan" ? plan : migration.metadata.name ?? ""
                let deleted = try await ProcessRunner.run(
                    [
                        "kubectl", "delete", deleting, name, "-n", scenario.namespace,
                        "--timeout=60s",
                    ], environment: scenario.environment.variables)
                #expect(deleted.status == 0, "\(deleted.stdout)\(deleted.stderr)")
                try await Self.nothingLeft(scenario, sandbox, instance: id, namespace: namespace)
                let state = try await Self.instanceState(sandbox, scenario, id) ?? ""
                #expect(
                    vm == "web-1" ? ["running", "pending"].contains(state) : state == "stopped",
                    "a source that ran runs again")
                var left: [Migration] = []
                for _ in 0..<50 {  // the garbage collector removes a deleted plan's migration soon after
                    left = try await scenario.client.list(Migration.self, namespace: scenario.namespace).items
                        .filter { $0.spec.plan.name == plan }
                    if left.isEmpty { break }
                    try await Task.sleep(nanoseconds: 200_000_000)
                }
                #expect(left.isEmpty, "the migration is gone too (deleted, or collected with its plan)")
            }
        }
    }

    @Test("bad input: an unready plan, a terminated instance, a target namespace that cannot be created")
    func badInput() async throws {
        try await Self.withSandbox { scenario, sandbox in
            let arm = try await scenario.mtv("create", "plan", "arm", "--source", "my-ec2", "--vms", "arm-1")
            #expect(arm.status == 0)
            let refused = try await scenario.mtv("start", "plan", "arm")
            #expect(
                refused.status != 0 && refused.stderr.contains("is not ready") && refused.stderr.contains("arm64"),
                "\(refused.stderr)")
            #expect(try await scenario.client.list(Migration.self, namespace: scenario.namespace).items.isEmpty)
            #expect(try await scenario.mtv("start", "plan", "nothing").stderr.contains("not found"))
            #expect(
                try await scenario.mtv("cancel", "plan", "arm", "--vms", "arm-1").stderr.contains(
                    "no running migration"))

            // A terminated instance: the plan stops being Ready, and start refuses it.
            let unnamed = try #require(sandbox.instances.keys.first { $0.hasPrefix("i-") })
            let created = try await scenario.mtv("create", "plan", "gone", "--source", "my-ec2", "--vms", unnamed)
            #expect(created.stdout.contains("The plan is Ready."), "\(created.stdout)")
            _ = try await Self.aws(sandbox, scenario, ["terminate-instances", "--instance-ids", unnamed])
            _ = try await PlanEndToEndTests.validated(scenario, "gone") {
                $0.status?.conditions?.isTrue("Ready") == false
            }
            let gone = try await scenario.mtv("start", "plan", "gone")
            #expect(gone.status != 0 && gone.stderr.contains("VMNotFound"), "\(gone.stderr)")

            // The target namespace cannot be created: the VM fails with the reason and nothing is left.
            let namespace = "\(scenario.namespace)-forbidden"
            try await ControlAPI.call(
                "POST", scenario.environment.fakeKubeControl.appending(path: "faults"),
                [
                    "method": "POST", "resource": "namespaces", "bodyName": namespace, "status": 403, "count": -1,
                    "message": "namespaces is forbidden: User cannot create namespaces",
                ])
            let migration = try await Self.migrate(
                scenario, plan: "forbidden", ["--vms", "web-2", "--target-namespace", namespace])
            let vm = try #require(migration.status?.vms?.first)
            #expect(
                vm.error?.reasons.first?.contains("cannot create the target namespace") == true,
                "\(String(describing: vm.error))")
            try await Self.nothingLeft(
                scenario, sandbox, instance: try #require(sandbox.instances["web-2"]), namespace: namespace)
        }
    }
}

extension MigrationEndToEndTests {
    @Test(
        "killed after every phase change and after every AWS create, restarted controllers finish with one set of everything"
    )
    func restartBetweenPhases() async throws {
        let sandbox = try await AWSSandbox()
        defer { sandbox.stop() }
        let state = FileManager.default.temporaryDirectory.appending(path: "crash-\(UUID().uuidString)").path
        try await Scenario.with(controller: false) { scenario in
            let start = {
                try await ControllerProcess(
                    environment: scenario.environment, namespace: scenario.namespace,
                    extraArguments: ["--inventory-interval", "1"],
                    extraEnvironment: ["MTV_TEST_CRASH_POINTS": "phase,create", "MTV_TEST_CRASH_STATE": state])
            }
            var controller = try await start()
            let mtv = { (arguments: [String]) async throws -> ProcessRunner.Result in
                try await scenario.mtv(
                    arguments, extraEnvironment: ["MTV_INVENTORY_URL": controller.url.absoluteString])
            }
            let id = try #require(sandbox.instances["web-1"])
            let namespace = "\(scenario.namespace)-restart"
            _ = try await mtv([
                "create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", "us-east-1", "--username",
                scenario.sourceKey, "--password", scenario.sourceSecret, "--url", sandbox.url.absoluteString,
                "--auto-target-credentials",
            ])
            _ = try await scenario.waitFor(provider: "my-ec2", condition: "InventoryCreated")
            let created = try await mtv([
                "create", "plan", "restart", "--source", "my-ec2", "--vms", "web-1", "--target-namespace", namespace,
            ])
            #expect(created.stdout.contains("The plan is Ready."), "\(created.stdout)\(created.stderr)")
            #expect(try await mtv(["start", "plan", "restart"]).status == 0)

            var restarts = 0
            let deadline = Date().addingTimeInterval(200)
            var migration: Migration?
            while Date() < deadline {
                migration = try await scenario.client.list(Migration.self, namespace: scenario.namespace).items.first
                if migration?.status?.completed != nil { break }
                if !controller.process.isRunning {
                    restarts += 1
                    controller = try await start()
                }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            controller.process.stop()
            let crashes = ((try? String(contentsOfFile: state, encoding: .utf8)) ?? "").split(separator: "\n")
            print("controller restarts: \(restarts); crash points: \(crashes.count)")
            #expect(
                migration?.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration?.status))")
            // Each phase's action (done, not yet recorded), each recorded phase change, and each AWS create.
            #expect(restarts >= 20, "a crash at every point")
            #expect(crashes.contains { $0.hasPrefix("create") && $0.hasSuffix("/snapshots") })
            #expect(crashes.filter { $0.hasSuffix("/volume") }.count == 2)

            let (snapshots, volumes) = try await Self.tagged(sandbox, scenario, id)
            #expect(snapshots.isEmpty, "no migration snapshot remains")
            #expect(volumes.count == 2, "exactly one new volume per source volume: \(volumes.count)")
            let calls = try await sandbox.control.calls()
            #expect(calls["CreateSnapshots"] == 1, "one snapshot set")
            let claims = try await scenario.client.listAll(.persistentVolumeClaims, namespace: namespace).items
            let pvs = try await scenario.client.listAll(
                .persistentVolumes,
                options: ListOptions(labelSelector: "forklift.konveyor.io/vmID=\(id)")
            ).items
            let vms = try await scenario.client.listAll(.virtualMachines, namespace: namespace).items
            #expect(claims.count == 2 && pvs.count == 2 && vms.count == 1)
        }
    }
}

extension MigrationEndToEndTests {
    @Test("a 10-VM, 2-disk plan: every VM migrates; AWS calls per VM by action are printed and stay near the minimum")
    func tenVMs() async throws {
        // One inventory pass only, so the proxy's counters hold the migration's calls alone.
        try await Self.withSandbox(extra: 10, inventoryInterval: 600) { scenario, sandbox in
            try await sandbox.control.resetCalls()
            let migration = try await Self.migrate(
                scenario, plan: "bench",
                [
                    "--vms", "where label.fleet = 'bench'", "--target-namespace", "\(scenario.namespace)-bench",
                ], seconds: 150)
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true,
                "\(String(describing: migration.status?.conditions))")
            let vms = migration.status?.vms ?? []
            #expect(vms.count == 10)
            let calls = try await sandbox.control.calls()
            let total = calls.values.reduce(0, +)
            var report = "AWS calls for a 10-VM, 2-disk plan (per VM):"
            for (action, count) in calls.sorted(by: { $0.key < $1.key }) {
                report +=
                    "\n  \(action.padding(toLength: 20, withPad: " ", startingAt: 0)) \(count) (\(Double(count) / 10))"
            }
            report += "\n  total                \(total) (\(Double(total) / 10))"
            print(report)
            // Changes are exactly one per VM or volume; polling depends on how the VMs' phases line up in ticks
            // (more spread on a loaded machine), but one Describe covers every VM in flight. Polling each VM on its
            // own costs at least one Describe per wait (stopped, snapshots, volumes), again each poll inside a delay.
            #expect(calls["CreateSnapshots"] == 10 && calls["CreateVolume"] == 20 && calls["DeleteSnapshot"] == 20)
            #expect((calls["StopInstances"] ?? 0) <= 10)
            let describes = calls.filter { $0.key.hasPrefix("Describe") }.values.reduce(0, +)
            #expect(Double(describes) / 10 <= 3, "batched polling: at most 3 Describe calls per VM")
        }
    }
}
