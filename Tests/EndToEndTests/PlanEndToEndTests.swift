import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// Slide 14's plans and the preflight checks, end to end: the fleet in moto, the controller's inventory and plan
/// validation, and `kubectl mtv create|get|describe|patch|archive|delete plan` and `… mapping`.
@Suite(
    "Plans end to end", .serialized,
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct PlanEndToEndTests {
    /// Waits until the controller has validated the plan's current generation; returns the plan.
    static func validated(
        _ scenario: Scenario, _ name: String, until: (Plan) -> Bool = { _ in true }
    ) async throws -> Plan {
        let deadline = Date().addingTimeInterval(20)
        var last: Plan?
        while Date() < deadline {
            last = try await scenario.client.get(Plan.self, name: name, namespace: scenario.namespace)
            if let plan = last, plan.status?.observedGeneration == plan.metadata.generation,
                !(plan.status?.conditions ?? []).isEmpty, until(plan)
            {
                return plan
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        Issue.record(
            "plan \(name) was not validated as expected; conditions: \(String(describing: last?.status?.conditions))")
        throw CancellationError()
    }

    /// The names of plans and mappings in the scenario's namespace.
    static func objects(_ scenario: Scenario) async throws -> [String] {
        var names: [String] = []
        for resource in [ResourceType.plans, .networkMaps, .storageMaps] {
            names += try await scenario.client.listAll(resource, namespace: scenario.namespace).items
                .compactMap { $0[path: ["metadata", "name"]]?.stringValue }
        }
        return names
    }

    @Test("a provider's new target zone re-checks its plans: a zone without worker nodes blocks them within seconds")
    func providerChangeRevalidates() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, ids in
            let web2 = try #require(ids["web-2"])
            let created = try await scenario.mtv(
                "create", "plan", "zoned", "--source", "my-ec2", "--vms", web2,
                "--target-namespace", "zoned-vms")
            #expect(created.stdout.contains("The plan is Ready."), "\(created.stdout)\(created.stderr)")
            let patched = try await scenario.mtv("patch", "provider", "my-ec2", "--target-az", "us-east-1d")
            #expect(patched.status == 0, "\(patched.stderr)")
            let blocked = try await Self.validated(scenario, "zoned") {
                $0.status?.conditions?.isTrue("Ready") == false
            }
            let zone = try #require(blocked.status?.conditions?[type: "TargetZoneHasNoNodes"])
            #expect(zone.category == Condition.Category.critical)
            #expect(zone.message?.contains("us-east-1d") == true, "\(zone)")
            _ = try await scenario.mtv("patch", "provider", "my-ec2", "--target-az", "us-east-1c")
            _ = try await Self.validated(scenario, "zoned") { $0.status?.conditions?.isTrue("Ready") == true }
        }
    }

    @Test("slide 14: a plan by instance ID and a plan by query both become Ready, with mappings they own")
    func slide14() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, ids in
            let web2 = try #require(ids["web-2"])
            let byID = try await scenario.mtv(
                "create", "plan", "migrate-webserver", "--source", "my-ec2", "--target", "host",
                "--vms", web2, "--target-namespace", "migrated-vms", "--default-target-network", "default",
                "--default-target-storage-class", "gp3-csi")
            #expect(byID.status == 0, "\(byID.stderr)")
            #expect(byID.stdout.contains("The plan is Ready."), "\(byID.stdout)")
            let byQuery = try await scenario.mtv(
                "create", "plan", "migrate-web-tier", "--source", "my-ec2", "--target", "host",
                "--vms", "where label.tier = 'web'", "--target-namespace", "web-vms")
            #expect(byQuery.status == 0, "\(byQuery.stderr)")
            #expect(byQuery.stderr.contains("Found 2 VM(s) matching the query"), "\(byQuery.stderr)")

            let webserver = try await Self.validated(scenario, "migrate-webserver")
            #expect(webserver.status?.conditions?.isTrue("Ready") == true)
            #expect(webserver.spec.vms.map(\.id) == [web2])
            #expect(
                webserver.spec.provider.destination.name == "host" && webserver.spec.provider.destination.uid != nil)
            let tier = try await Self.validated(scenario, "migrate-web-tier")
            #expect(tier.status?.conditions?.isTrue("Ready") == true, "\(String(describing: tier.status?.conditions))")
            #expect(Set(tier.spec.vms.compactMap(\.name)) == ["web-1", "web-2"])
            // web-1 runs: a warning, not a blocker.
            #expect(tier.status?.conditions?[type: "VMPoweredOn"]?.category == Condition.Category.warn)

            // The automatic maps hold only what the plan's VMs use and are owned by the plan.
            let storage = try await scenario.client.get(
                StorageMap.self, name: "migrate-web-tier-storage-map", namespace: scenario.namespace)
            #expect(Set(storage.spec.map.compactMap(\.source.name)) == ["gp3", "gp2"])
            #expect(storage.spec.map.allSatisfy { $0.destination.storageClass.hasSuffix("-csi") })
            #expect(storage.metadata.ownerReferences?.first?.uid == tier.metadata.uid)
            let network = try await scenario.client.get(
                NetworkMap.self, name: "migrate-web-tier-network-map", namespace: scenario.namespace)
            #expect(network.spec.map.count == 2)
            #expect(network.spec.map.map(\.destination.type) == ["pod", "ignored"])

            let table = try await scenario.mtv("get", "plans")
            #expect(table.stdout.contains("migrate-webserver") && table.stdout.contains("true"), "\(table.stdout)")
            let described = try await scenario.mtv("describe", "plan", "migrate-webserver")
            #expect(described.stdout.contains("gp3-csi") && described.stdout.contains(web2), "\(described.stdout)")
            let mappings = try await scenario.mtv("get", "mappings")
            #expect(mappings.stdout.contains("Plan/migrate-webserver"), "\(mappings.stdout)")
        }
    }

    @Test("--dry-run -o yaml prints the plan and its mappings and creates nothing")
    func dryRun() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, _ in
            let result = try await scenario.mtv(
                "create", "plan", "dry", "--source", "my-ec2", "--vms", "web-1", "--dry-run", "-o", "yaml")
            #expect(result.status == 0, "\(result.stderr)")
            for kind in ["kind: Plan", "kind: NetworkMap", "kind: StorageMap", "name: dry-network-map"] {
                #expect(result.stdout.contains(kind), "\(kind)")
            }
            #expect(try await Self.objects(scenario).isEmpty)
        }
    }

    @Test("an arm64 VM, an unmapped subnet, a non-EBS class and a target-az without workers each block the plan")
    func notReady() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, _ in
            var expected: [(plan: String, condition: String)] = []
            let arm = try await scenario.mtv("create", "plan", "arm", "--source", "my-ec2", "--vms", "arm-1")
            #expect(arm.status == 0 && arm.stdout.contains("VMArchitectureNotSupported"), "\(arm.stdout)\(arm.stderr)")
            expected.append(("arm", "VMArchitectureNotSupported"))

            let unmapped = try await scenario.mtv(
                "create", "plan", "unmapped", "--source", "my-ec2", "--vms", "web-2",
                "--network-pairs", "fixture-fleet-private-a:default")
            #expect(unmapped.status == 0, "\(unmapped.stderr)")
            expected.append(("unmapped", "VMNetworksNotMapped"))

            let mapping = try await scenario.mtv(
                "create", "mapping", "storage", "ceph", "--source", "my-ec2",
                "--storage-pairs", "gp3:ocs-storagecluster-ceph-rbd")
            #expect(mapping.status == 0 && mapping.stderr.contains("not Ready"), "\(mapping.stderr)")
            let ceph = try await scenario.mtv(
                "create", "plan", "ceph", "--source", "my-ec2", "--vms", "web-2", "--storage-mapping", "ceph")
            #expect(ceph.status == 0, "\(ceph.stderr)")
            expected.append(("ceph", "StorageClassNotEBS"))

            let zoneProvider = try await scenario.mtv(
                "create", "provider", "zone-a", "--type", "ec2", "--ec2-region", "us-east-1",
                "--username", scenario.sourceKey, "--password", scenario.sourceSecret, "--target-az", "us-east-1a")
            #expect(zoneProvider.status == 0, "\(zoneProvider.stderr)")
            _ = try await scenario.waitFor(provider: "zone-a", condition: "InventoryCreated")
            let zone = try await scenario.mtv("create", "plan", "zone", "--source", "zone-a", "--vms", "web-2")
            #expect(zone.status == 0, "\(zone.stderr)")
            expected.append(("zone", "TargetZoneHasNoNodes"))

            for (plan, condition) in expected {
                let validated = try await Self.validated(scenario, plan)
                let conditions = validated.status?.conditions ?? []
                #expect(!conditions.isTrue("Ready"), "\(plan)")
                #expect(conditions[type: condition]?.category == Condition.Category.critical, "\(plan): \(conditions)")
                let described = try await scenario.mtv("describe", "plan", plan)
                #expect(described.stdout.contains(condition), "\(plan)")
            }

            // Re-validated when its mapping changes: mapping web-2's subnet makes the plan Ready.
            let web2Subnet = try #require(
                try await scenario.client.get(
                    NetworkMap.self, name: "ceph-network-map",
                    namespace: scenario.namespace
                ).spec.map.first?.source.id)
            let map = try await scenario.client.get(
                NetworkMap.self, name: "unmapped-network", namespace: scenario.namespace)
            _ = try await scenario.client.update(map) {
                $0.spec.map.append(.init(source: SourceReference(id: web2Subnet), destination: .init(type: "pod")))
            }
            let fixed = try await Self.validated(scenario, "unmapped") {
                $0.status?.conditions?.isTrue("Ready") == true
            }
            #expect(fixed.status?.conditions?[type: "VMNetworksNotMapped"] == nil)
        }
    }

    @Test("bad input exits non-zero with a pointed message and leaves no plan or mapping")
    func badInput() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, _ in
            let cases: [([String], String)] = [
                (["--source", "missing", "--vms", "web-2"], "provider 'missing' not found"),
                (["--source", "my-ec2", "--vms", "no-such-vm"], "'no-such-vm' is not in the inventory"),
                (["--source", "my-ec2", "--vms", "where name = 'nothing'"], "no VMs match the query"),
                (["--source", "my-ec2", "--vms", "where name ="], "^"),
                (["--source", "my-ec2", "--vms", "web-2", "--network-pairs", "subnet-only"], "is not SOURCE:TARGET"),
                (["--source", "my-ec2", "--vms", "web-2", "--storage-pairs", "gp9:gp3-csi"], "not an EBS volume type"),
                (
                    ["--source", "my-ec2", "--vms", "web-2", "--storage-pairs", "gp3:ocs-storagecluster-ceph-rbd"],
                    "ebs.csi.aws.com"
                ),
                (
                    ["--source", "my-ec2", "--vms", "web-2", "--network-pairs", "a:default", "--network-mapping", "m"],
                    "cannot be combined"
                ),
                (["--source", "my-ec2", "--vms", "web-2", "--use-compatibility-mode"], "--skip-guest-conversion"),
                (["--source", "my-ec2", "--vms", "web-2", "-o", "yaml"], "--dry-run"),
                (["--source", "my-ec2", "--vms", "web-2", "--target", "my-ec2"], "openshift"),
                (["--source", "my-ec2", "--vms", "web-2", "--target-namespace", "Bad_NS"], "not a valid namespace"),
                (["--source", "my-ec2", "--vms", "db-1"], "io1"),
                (["--source", "my-ec2", "--vms", "web-2,web-2"], "listed twice"),
                (["--source", "my-ec2", "--vms", "web-2", "--target-power-state", "sideways"], "on, off or auto"),
                (["--source", "my-ec2", "--vms", "@/nonexistent/vms.yaml"], "cannot read"),
            ]
            for (arguments, hint) in cases {
                let result = try await scenario.mtv(["create", "plan", "bad"] + arguments)
                #expect(result.status != 0, "\(arguments)")
                #expect(result.stderr.contains(hint), "\(arguments): \(result.stderr)")
            }
            #expect(try await Self.objects(scenario).isEmpty)
        }
    }

    @Test("archive, unarchive, patch and delete: delete archives first and removes the mappings the plan owns")
    func lifecycle() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, _ in
            let created = try await scenario.mtv("create", "plan", "life", "--source", "my-ec2", "--vms", "web-2")
            #expect(created.status == 0, "\(created.stderr)")
            let patched = try await scenario.mtv(
                "patch", "plan", "life", "--target-power-state", "on", "--target-labels", "team=a")
            #expect(patched.status == 0, "\(patched.stderr)")
            var plan = try await scenario.client.get(Plan.self, name: "life", namespace: scenario.namespace)
            #expect(plan.spec.targetPowerState == "on" && plan.spec.targetLabels == ["team": "a"])
            #expect(try await scenario.mtv("archive", "plan", "life").status == 0)
            plan = try await Self.validated(scenario, "life") { $0.status?.conditions?.isTrue("Archived") == true }
            #expect(plan.spec.archived == true)
            #expect(try await scenario.mtv("unarchive", "plan", "life").status == 0)
            plan = try await Self.validated(scenario, "life") { $0.status?.conditions?[type: "Archived"] == nil }
            let deleted = try await scenario.mtv("delete", "plan", "life")
            #expect(deleted.status == 0, "\(deleted.stderr)")
            #expect(deleted.stdout.contains("networkmap/life-network-map deleted"), "\(deleted.stdout)")
            #expect(try await Self.objects(scenario).isEmpty)
            let again = try await scenario.mtv("delete", "plan", "life")
            #expect(again.status != 0 && again.stderr.contains("not found"), "\(again.stderr)")
        }
    }
}

extension PlanEndToEndTests {
    @Test("a plan is checked again when the inventory changes: its terminated instance blocks it")
    func inventoryChange() async throws {
        // A moto of its own: moto keeps terminated instances, which must not show up in the other suites' fleet.
        let moto = try await MotoServer()
        defer { moto.stop() }
        try await Scenario.with(controllerArguments: ["--inventory-interval", "1"]) { scenario in
            var environment = scenario.environment.variables
            environment["AWS_ENDPOINT_URL"] = moto.url.absoluteString
            let aws = { (arguments: [String]) async throws -> String in
                let result = try await ProcessRunner.run(
                    ["aws", "ec2"] + arguments + ["--output", "text"], environment: environment)
                #expect(result.status == 0, "\(arguments): \(result.stderr)")
                return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let seeded = try await ProcessRunner.run(["scripts/seed-fleet", "--endpoint", moto.url.absoluteString])
            #expect(seeded.status == 0, "\(seeded.stderr)")
            let template = try await aws([
                "describe-instances", "--filters", "Name=tag:Name,Values=web-2",
                "--query", "Reservations[0].Instances[0].[ImageId,SubnetId]",
            ]).split(whereSeparator: \.isWhitespace).map(String.init)
            let id = try await aws([
                "run-instances", "--image-id", template[0], "--subnet-id", template[1], "--instance-type",
                "t3.micro", "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=ephemeral}]",
                "--query", "Instances[0].InstanceId",
            ])
            let provider = try await scenario.mtv(
                "create", "provider", "own", "--type", "ec2", "--ec2-region", "us-east-1",
                "--username", scenario.sourceKey, "--password", scenario.sourceSecret, "--url", moto.url.absoluteString,
                "--auto-target-credentials")
            #expect(provider.status == 0, "\(provider.stderr)")
            _ = try await scenario.waitFor(provider: "own", condition: "InventoryCreated")
            let created = try await scenario.mtv("create", "plan", "ephemeral", "--source", "own", "--vms", "ephemeral")
            #expect(created.status == 0, "\(created.stderr)")
            _ = try await Self.validated(scenario, "ephemeral") { $0.status?.conditions?.isTrue("Ready") == true }
            _ = try await aws(["terminate-instances", "--instance-ids", id])
            let blocked = try await Self.validated(scenario, "ephemeral") {
                $0.status?.conditions?.isTrue("Ready") == false
            }
            #expect(blocked.status?.conditions?[type: "VMNotFound"]?.items?.first?.contains(id) == true)
        }
    }
}
