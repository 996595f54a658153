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
    /// A scenario with a provider `my-ec2` over a fresh sandbox whose fleet is in `region`, its inventory collected;
    /// the provider's target is the cluster's (its `aws-creds` keys and its workers' zone) unless `target` gives
    /// other `create provider` flags.
    static func withSandbox(
        stateDelays: String = "stop=0.5,snapshot=1,volume=0.5", extra: Int = 0, inventoryInterval: Double = 1,
        region: String = "us-east-1", target: [String] = ["--auto-target-credentials"],
        prepare: (AWSSandbox) async throws -> Void = { _ in },
        _ body: (Scenario, AWSSandbox) async throws -> Void
    ) async throws {
        let sandbox = try await AWSSandbox(stateDelays: stateDelays, extra: extra, region: region)
        defer { sandbox.stop() }
        try await prepare(sandbox)
        try await Scenario.with(controllerArguments: ["--inventory-interval", "\(inventoryInterval)"]) { scenario in
            let created = try await scenario.mtv(
                [
                    "create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", region,
                    "--username", scenario.sourceKey, "--password", scenario.sourceSecret, "--url",
                    sandbox.url.absoluteString,
                ] + target)
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

    /// The AWS CLI's JSON answer, as the source account (or `account`'s IAM user), in the CLI's default region
    /// unless `region` is given.
    static func aws(
        _ sandbox: AWSSandbox, _ scenario: Scenario, _ arguments: [String], service: String = "ec2",
        account: String? = nil, region: String? = nil
    ) async throws -> JSONValue {
        var environment = scenario.environment.variables
        if let account, let keys = LocalEnvironment.current?.credentials(account: account) {
            environment["AWS_ACCESS_KEY_ID"] = keys.accessKeyID
            environment["AWS_SECRET_ACCESS_KEY"] = keys.secretAccessKey
        }
        let result = try await sandbox.aws(
            arguments + ["--output", "json"] + (region.map { ["--region", $0] } ?? []), service: service,
            environment: environment)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try JSONValue(parsing: Data(result.stdout.isEmpty ? "{}".utf8 : result.stdout.utf8))
    }

    /// Snapshots and volumes the AWS CLI finds by slide 16's vmID tag (in `account` and `region` when given).
    static func tagged(
        _ sandbox: AWSSandbox, _ scenario: Scenario, _ instance: String, account: String? = nil, region: String? = nil
    ) async throws -> (snapshots: [JSONValue], volumes: [JSONValue]) {
        let filter = "Name=tag:forklift.konveyor.io/vmID,Values=\(instance)"
        let snapshots =
            try await aws(
                sandbox, scenario, ["describe-snapshots", "--owner-ids", "self", "--filters", filter],
                account: account, region: region)["Snapshots"]?.arrayValue ?? []
        let volumes =
            try await aws(
                sandbox, scenario, ["describe-volumes", "--filters", filter], account: account, region: region)[
                "Volumes"]?.arrayValue ?? []
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
