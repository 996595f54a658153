import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

extension MigrationEndToEndTests {
    /// The start and end of a step of a VM's pipeline.
    static func times(_ vm: VMStatus, _ step: String) -> (started: String, completed: String)? {
        guard let entry = vm.pipeline.first(where: { $0.name == step }), let started = entry.started,
            let completed = entry.completed
        else { return nil }
        return (started, completed)
    }

    /// Waits until no hook Job, ConfigMap or Job pod of a migration is left in `namespace` (a Job's pods go
    /// asynchronously, after the Job); the objects still there when time runs out.
    static func hookObjectsLeft(_ scenario: Scenario, namespace: String, migration: String) async throws -> [String] {
        let selector = ListOptions(
            labelSelector: "forklift.konveyor.io/migration-uid=\(migration),forklift.konveyor.io/hook-step")
        var left: [String] = []
        for _ in 0..<50 {
            left = []
            for resource in [ResourceType.jobs, .configMaps, .pods] {
                for item in try await scenario.client.listAll(resource, namespace: namespace, options: selector).items {
                    left.append("\(resource.kind)/\(item[path: ["metadata", "name"]]?.stringValue ?? "")")
                }
            }
            if left.isEmpty { return [] }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        return left
    }

    @Test("hooks made with the CLI run as Jobs: the PreHook before the instance stops, the PostHook once the VM runs")
    func hooksRun() async throws {
        try await Self.withSandbox { scenario, sandbox in
            let directory = FileManager.default.temporaryDirectory.appending(path: "hooks-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let playbook = directory.appending(path: "quiesce.yml")
            try "- hosts: localhost\n  tasks:\n  - debug: {msg: quiesce}\n".write(
                to: playbook, atomically: true, encoding: .utf8)
            let pre = try await scenario.mtv(
                "create", "hook", "quiesce", "--playbook", "@\(playbook.path)", "--deadline", "120")
            #expect(pre.status == 0 && pre.stdout.contains("hook/quiesce created"), "\(pre.stderr)")
            let post = try await scenario.mtv(
                "create", "hook", "--name", "notify", "--image", "quay.io/example/notify:1")
            #expect(post.status == 0, "\(post.stderr)")
            let badAccount = try await scenario.mtv("create", "hook", "bad", "--service-account", "Hook_Runner")
            #expect(
                badAccount.status != 0 && badAccount.stderr.contains("--service-account: 'Hook_Runner' is not"),
                "\(badAccount.stderr)")
            let listed = try await scenario.mtv("get", "hooks")
            #expect(listed.stdout.contains("quay.io/kubev2v/hook-runner") && listed.stdout.contains("notify"))
            let described = try await scenario.mtv("describe", "hook", "quiesce")
            #expect(described.stdout.contains("  - debug: {msg: quiesce}") && described.stdout.contains("120s"))
            let missing = try await scenario.mtv(
                "create", "plan", "nohook", "--source", "my-ec2", "--vms", "web-1", "--pre-hook", "absent")
            #expect(missing.status != 0 && missing.stderr.contains("--pre-hook: hook 'absent' not found"))

            let id = try #require(sandbox.instances["web-1"])
            let namespace = "\(scenario.namespace)-hooks"
            let migration = try await Self.migrate(
                scenario, plan: "hooked",
                ["--vms", "web-1", "--target-namespace", namespace, "--pre-hook", "quiesce", "--post-hook", "notify"])
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration.status))")
            let vm = try #require(migration.status?.vms?.first)
            #expect(vm.pipeline.map(\.name).first(where: { $0.hasSuffix("Hook") }) == "PreHook")
            #expect(vm.pipeline.map(\.name).last == "PostHook")
            let preHook = try #require(Self.times(vm, "PreHook"))
            let prepare = try #require(Self.times(vm, "PrepareSource"))
            let createVM = try #require(Self.times(vm, "CreateVM"))
            let postHook = try #require(Self.times(vm, "PostHook"))
            #expect(preHook.completed <= prepare.started, "the instance is stopped after the PreHook")
            #expect(createVM.completed <= postHook.started, "the PostHook runs once the VM exists")
            #expect(try await Self.instanceState(sandbox, scenario, id) == "stopped")
            _ = try await Self.vm(scenario, namespace, "web-1")
            let left = try await Self.hookObjectsLeft(
                scenario, namespace: namespace, migration: migration.metadata.uid ?? "")
            #expect(left.isEmpty, "left: \(left)")

            let plan = try await scenario.mtv("describe", "plan", "hooked")
            #expect(plan.stdout.contains("PreHook: quiesce, PostHook: notify"), "\(plan.stdout)")
            let refused = try await scenario.mtv("delete", "hook", "quiesce")
            #expect(refused.status != 0 && refused.stderr.contains("is used by plan(s) hooked"), "\(refused.stderr)")
        }
    }

    @Test("a failing PreHook fails the VM with its log before the instance is stopped or snapshotted")
    func preHookFails() async throws {
        try await Self.withSandbox { scenario, sandbox in
            let namespace = "\(scenario.namespace)-prefail"
            try await ControlAPI.call(
                "POST", scenario.environment.fakeKubeControl.appending(path: "pods/fail"),
                [
                    "namespace": namespace, "labelSelector": "forklift.konveyor.io/hook-step=PreHook", "exitCode": 2,
                    "log": "TASK [stop the database]\nfatal: [localhost]: the database did not stop\n",
                ])
            let created = try await scenario.mtv("create", "hook", "quiesce")
            #expect(created.status == 0, "\(created.stderr)")
            let id = try #require(sandbox.instances["web-1"])
            let migration = try await Self.migrate(
                scenario, plan: "prefail", ["--vms", "web-1", "--target-namespace", namespace, "--pre-hook", "quiesce"])
            #expect(migration.status?.conditions?.isTrue("Failed") == true)
            let vm = try #require(migration.status?.vms?.first)
            #expect(vm.error?.phase == "PreHook")
            #expect(
                vm.error?.reasons.first?.contains("fatal: [localhost]: the database did not stop") == true,
                "\(String(describing: vm.error))")
            #expect(["running", "pending"].contains(try await Self.instanceState(sandbox, scenario, id) ?? ""))
            let left = try await Self.hookObjectsLeft(
                scenario, namespace: namespace, migration: migration.metadata.uid ?? "")
            #expect(left.isEmpty, "left: \(left)")
            try await Self.nothingLeft(scenario, sandbox, instance: id, namespace: namespace)
        }
    }
}
