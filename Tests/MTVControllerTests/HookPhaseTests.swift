import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore
import Testing

@testable import MTVController

@Suite("Hook phases against the in-memory EC2 account and cluster", .timeLimit(.minutes(1)))
struct HookPhaseTests {
    static let pre = Plan.HookReference(hook: ObjectReference(name: "quiesce", namespace: "ns"), step: "PreHook")
    static let post = Plan.HookReference(hook: ObjectReference(name: "notify", namespace: nil), step: "PostHook")
    static let playbook = "- hosts: localhost\n  tasks: []\n"

    /// A harness whose VM has both hooks, with the Hook objects stored in the cluster.
    func harness(hooks: [Plan.HookReference] = [pre, post]) async throws -> PhaseHarness {
        let harness = try await PhaseHarness(hooks: hooks)
        for (name, playbook) in [("quiesce", Data(Self.playbook.utf8).base64EncodedString()), ("notify", "")] {
            var hook = Hook(
                metadata: ObjectMeta(name: name, namespace: "ns"),
                spec: .init(image: "quay.io/konveyor/hook-runner:latest", serviceAccount: "hooks", deadline: 300))
            hook.spec.playbook = playbook.isEmpty ? nil : playbook
            await harness.cluster.put(.hooks, try JSONValue(encoding: hook), namespace: "ns")
        }
        return harness
    }

    func job(_ harness: PhaseHarness, _ step: Hook.Step) async throws -> (name: String, object: JSONValue?) {
        let name = try harness.context().requireBuilder(for: harness.admitted()).hookJobName(step)
        return (name, await harness.cluster.object(.jobs, name, namespace: PhaseHarness.namespace))
    }

    @Test("the PreHook runs before the instance is stopped, the PostHook once the VM runs; cleanup removes both")
    func bothHooks() async throws {
        let harness = try await harness()
        let context = harness.context()
        #expect(
            context.itinerary(instance: PhaseHarness.instanceID).phases.map(\.rawValue).prefix(2) == [
                "Started", "PreHook",
            ])
        var vm = await harness.tick(harness.admitted(), context: context, until: [.preHook])
        vm = await harness.tick(vm, context: context)
        let (preName, preJob) = try await job(harness, .preHook)
        let made = try #require(preJob, "the PreHook's Job")
        #expect(await harness.ec2.count("StopInstances") == 0 && vm.phase == Phase.preHook.rawValue)
        #expect(made[path: ["spec", "backoffLimit"]] == 0 && made[path: ["spec", "activeDeadlineSeconds"]] == 300)
        let pod = try #require(made[path: ["spec", "template", "spec"]])
        #expect(pod["serviceAccountName"] == "hooks")
        #expect(
            pod[path: ["containers"]]?.arrayValue?.first?["command"]?.arrayValue?.last == "/tmp/hook/playbook.yml")
        let data = try #require(
            await harness.cluster.object(.configMaps, preName, namespace: PhaseHarness.namespace)?["data"])
        #expect(data["playbook.yml"]?.stringValue == Self.playbook)
        let workload = try JSONValue(parsing: Data((data["workload.yml"]?.stringValue ?? "").utf8))
        #expect(workload["id"]?.stringValue == PhaseHarness.instanceID && workload["targetName"] == "web")
        #expect(workload["targetNamespace"]?.stringValue == PhaseHarness.namespace)
        let plan = try JSONValue(parsing: Data((data["plan.yml"]?.stringValue ?? "").utf8))
        #expect(plan[path: ["metadata", "name"]] == "plan" && plan[path: ["spec", "targetNamespace"]] == "vms")

        vm = await harness.tick(vm, context: context)
        #expect(vm.phase == Phase.preHook.rawValue, "a Job that has not completed holds the VM")
        vm = await harness.run(vm, context: context)
        #expect(vm.error == nil && vm.completed != nil)
        for step in [Step.preHook, .postHook] {
            let entry = vm.pipeline.first { $0.name == step.rawValue }
            #expect(entry?.phase == "Completed" && entry?.progress.completed == 1, "\(step)")
        }
        #expect(vm.pipeline.map(\.name).last == "PostHook")
        let (jobs, configMaps) = (await harness.cluster.count(.jobs), await harness.cluster.count(.configMaps))
        #expect(jobs == 0 && configMaps == 0)
    }

    @Test("the PostHook waits until the new VirtualMachine is ready")
    func postHookWaitsForTheVM() async throws {
        let harness = try await harness(hooks: [Self.post])
        let context = harness.context()
        var vm = await harness.tick(harness.admitted(), context: context, until: [.postHook]) { await harness.settle() }
        let vmName = try #require(
            await harness.cluster.names(.virtualMachines, namespace: PhaseHarness.namespace).first)
        await harness.cluster.merge(
            .virtualMachines, vmName, namespace: PhaseHarness.namespace, ["status": ["ready": false]])
        for _ in 0..<3 { vm = await harness.tick(vm, context: context) }
        #expect(try await job(harness, .postHook).object == nil, "no Job while the VM is not ready")
        await harness.cluster.merge(
            .virtualMachines, vmName, namespace: PhaseHarness.namespace, ["status": ["ready": true]])
        vm = await harness.tick(vm, context: context)
        #expect(try await job(harness, .postHook).object != nil)
    }

    @Test("a failed PreHook fails the VM before anything in AWS is touched, with the Job's reason and log tail")
    func failedPreHook() async throws {
        let harness = try await harness()
        let context = harness.context()
        var vm = await harness.tick(harness.admitted(), context: context, until: [.preHook])
        vm = await harness.tick(vm, context: context)
        let name = try await job(harness, .preHook).name
        await harness.cluster.merge(
            .jobs, name, namespace: PhaseHarness.namespace,
            [
                "status": [
                    "conditions": [
                        [
                            "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                            "message": "Job has reached the specified backoff limit",
                        ]
                    ]
                ]
            ])
        await harness.cluster.put(
            .pods,
            [
                "metadata": [
                    "name": .string("\(name)-abcde"), "labels": ["job-name": .string(name)],
                    "creationTimestamp": "2026-12-05T10:00:00Z",
                ]
            ],
            namespace: PhaseHarness.namespace)
        await harness.cluster.setLog(
            pod: "\(name)-abcde", namespace: PhaseHarness.namespace,
            "TASK [stop db]\nfatal: the database did not stop\n")
        vm = await harness.tick(vm, context: context)
        #expect(vm.error?.phase == Phase.preHook.rawValue)
        #expect(
            vm.error?.reasons.first
                == "the PreHook hook ns/quiesce failed (BackoffLimitExceeded: Job has reached the specified backoff "
                + "limit); log tail: TASK [stop db] | fatal: the database did not stop")
        let calls = await harness.ec2.calls
        #expect(calls.allSatisfy { $0.hasPrefix("Describe") }, "\(calls)")
        let (jobs, configMaps) = (await harness.cluster.count(.jobs), await harness.cluster.count(.configMaps))
        #expect(jobs == 0 && configMaps == 0)
    }

    @Test("a failed PostHook fails the VM and leaves the VirtualMachine and its disks in place, the source stopped")
    func failedPostHook() async throws {
        let harness = try await harness(hooks: [Self.post])
        let context = harness.context()
        var vm = await harness.tick(harness.admitted(), context: context, until: [.postHook]) { await harness.settle() }
        await harness.settle()  // the new VM runs
        vm = await harness.tick(vm, context: context)
        let name = try await job(harness, .postHook).name
        await harness.cluster.merge(
            .jobs, name, namespace: PhaseHarness.namespace,
            ["status": ["conditions": [["type": "Failed", "status": "True", "reason": "DeadlineExceeded"]]]])
        vm = await harness.tick(vm, context: context)
        #expect(vm.error?.phase == Phase.postHook.rawValue)
        #expect(vm.error?.reasons.first == "the PostHook hook ns/notify failed (DeadlineExceeded)")
        #expect(await harness.cluster.count(.virtualMachines) == 1)
        #expect(await harness.cluster.count(.persistentVolumeClaims) == 2)
        #expect(await harness.ec2.count("StartInstances") == 0, "the migrated VM is the one in service")
        #expect(await harness.ec2.count("DeleteVolume") == 0)
    }

    @Test("a hook that is gone, or cannot run here, fails the VM naming it")
    func missingOrInvalidHook() async throws {
        let gone = try await PhaseHarness(hooks: [Self.pre])
        var vm = await gone.run(gone.admitted(), context: gone.context())
        #expect(vm.error?.reasons.first == "hook ns/quiesce does not exist")
        #expect(await gone.ec2.count("StopInstances") == 0)

        let aap = try await PhaseHarness(hooks: [Self.pre])
        var hook = Hook(metadata: ObjectMeta(name: "quiesce", namespace: "ns"), spec: .init(image: nil))
        hook.spec.aap = ["jobTemplateId": 7]
        await aap.cluster.put(.hooks, try JSONValue(encoding: hook), namespace: "ns")
        vm = await aap.run(aap.admitted(), context: aap.context())
        #expect(
            vm.error?.reasons.first
                == "hook ns/quiesce: AAP job templates (spec.aap) are not run by this controller; give spec.image instead"
        )
    }
}
