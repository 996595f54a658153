import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

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
