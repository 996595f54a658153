import AWSClient
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore
import Testing

@testable import MTVController

/// The migration phases against an in-memory EC2 account and cluster: every phase's success, transient and
/// permanent failures, deadlines, and a controller that restarts in the middle of any tick.
@Suite("Migration phases", .timeLimit(.minutes(1)))
struct PhaseTests {
    @Test("every phase of the enum has exactly one action, and each action runs the phase it is filed under")
    func everyPhaseHasAnAction() throws {
        #expect(Set(PhaseActions.all.keys) == Set(Phase.allCases))
        for (phase, action) in PhaseActions.all { #expect(action.phase == phase) }
    }

    @Test(
        "a running instance becomes a VirtualMachine: every phase in order, each AWS call once per need, snapshots gone"
    )
    func successInOneAccount() async throws {
        let harness = try await PhaseHarness()
        let context = harness.context()
        var phases: [String] = []
        var vm = harness.admitted()
        for _ in 0..<30 where vm.completed == nil {
            vm = await harness.tick(vm, context: context)
            phases.append(vm.phase)
            await harness.settle()
        }
        #expect(vm.conditions?.isTrue(ConditionType.succeeded) == true, "\(String(describing: vm.error))")
        #expect(vm.restorePowerState == "On")
        // One tick runs phases until one has to wait: these are the waits, the fewest AWS and the cluster allow.
        #expect(
            phases
                == [
                    Phase.storePowerState, .waitForPowerOff, .createSnapshots, .waitForSnapshots, .waitForVolumes,
                    .createPVsAndPVCs, .convertGuest, .completed,
                ].map(\.rawValue))
        let ec2 = harness.ec2
        #expect(await ec2.count("StopInstances") == 1)
        #expect(await ec2.count("CreateSnapshots") == 1)
        #expect(await ec2.count("CreateVolume") == 2)
        #expect(await ec2.count("DeleteSnapshot") == 2)
        #expect(await ec2.count("ModifySnapshotAttribute") == 0, "one account: nothing to share")
        #expect(await ec2.snapshots.isEmpty)
        let made = await ec2.volumes.values.filter { $0.snapshotID != nil }
        #expect(made.count == 2 && made.allSatisfy { $0.availabilityZone == "us-east-1c" && $0.volumeType == "gp3" })
        #expect(made.allSatisfy { $0.tags[key: MigrationLabels.migrationUID] == "migration-uid" })
        let cluster = harness.cluster
        #expect(await cluster.count(.persistentVolumeClaims) == 2)
        #expect(await cluster.count(.persistentVolumes) == 2)
        #expect(await cluster.names(.virtualMachines, namespace: PhaseHarness.namespace) == ["web"])
        #expect(await cluster.object(.namespaces, PhaseHarness.namespace, namespace: nil) != nil)
        for step in vm.pipeline {
            #expect(step.phase == StepPhase.completed.rawValue, "\(step.name)")
            #expect(step.progress.completed == step.progress.total, "\(step.name)")
        }
    }

    @Test("two accounts: the snapshots are shared with the target account before volumes are made from them")
    func sharingAcrossAccounts() async throws {
        let harness = try await PhaseHarness(twoAccounts: true)
        var vm = harness.admitted()
        let context = harness.context()
        vm = await harness.tick(vm, context: context, until: [.createVolumes, .waitForVolumes]) {
            await harness.settle()
        }
        let shared = await harness.ec2.sharedWith
        #expect(shared.count == 2 && shared.values.allSatisfy { $0 == ["222222222222"] })
        vm = await harness.run(vm, context: context)
        #expect(vm.conditions?.isTrue(ConditionType.succeeded) == true, "\(String(describing: vm.error))")
    }

    @Test("a stopped instance is not stopped again and is left off after a failure")
    func stoppedSource() async throws {
        let harness = try await PhaseHarness(state: "stopped")
        await harness.ec2.arm(
            "CreateVolume",
            AWSError(
                code: "InvalidParameterValue", message: "bad size",
                operation: "ec2:CreateVolume", httpStatus: 400))
        let vm = await harness.run(harness.admitted(), context: harness.context())
        #expect(vm.restorePowerState == "Off")
        #expect(await harness.ec2.count("StopInstances") == 0)
        #expect(vm.error?.phase == Phase.createVolumes.rawValue)
        #expect(await harness.ec2.count("StartInstances") == 0, "a source that was off stays off")
    }

    /// A call of one phase and the errors that make it transient or permanent.
    struct Fault: Sendable, CustomTestStringConvertible {
        var phase: Phase
        var call: String
        var arm: @Sendable (PhaseHarness, Int) async -> Void
        var transient: any Error & Sendable
        var permanent: any Error & Sendable
        var testDescription: String { "\(phase.rawValue): \(call)" }

        static func aws(_ phase: Phase, _ action: String) -> Fault {
            Fault(
                phase: phase, call: action,
                arm: { harness, times in
                    await harness.ec2.arm(
                        action, times == 0 ? permanentAWS(action) : throttled(action), times: max(times, 1))
                },
                transient: throttled(action), permanent: permanentAWS(action))
        }

        static func kube(_ phase: Phase, _ verb: String, _ resource: ResourceType) -> Fault {
            let transient = KubernetesError(
                code: 503, reason: "ServiceUnavailable", message: "try later", request: verb)
            let permanent = KubernetesError(
                code: 403, reason: KubernetesError.Reason.forbidden,
                message: "forbidden by policy", request: verb)
            return Fault(
                phase: phase, call: "\(verb) \(resource.plural)",
                arm: { harness, times in
                    await harness.cluster.arm(verb, resource, times == 0 ? permanent : transient, times: max(times, 1))
                },
                transient: transient, permanent: permanent)
        }

        static func throttled(_ action: String) -> AWSError {
            AWSError(code: "RequestLimitExceeded", message: "slow down", operation: "ec2:\(action)", httpStatus: 503)
        }

        static func permanentAWS(_ action: String) -> AWSError {
            AWSError(code: "UnauthorizedOperation", message: "not allowed", operation: "ec2:\(action)", httpStatus: 403)
        }
    }

    /// The calls a phase makes, one per phase that calls AWS or the cluster.
    static let faults: [Fault] = [
        .aws(.powerOffSource, "StopInstances"),
        .aws(.createSnapshots, "CreateSnapshots"),
        .aws(.shareSnapshots, "ModifySnapshotAttribute"),
        .aws(.createVolumes, "CreateVolume"),
        .kube(.createPVsAndPVCs, "create", .persistentVolumeClaims),
        .kube(.createGuestConversionPod, "create", .pods),
        .kube(.convertGuest, "get", .pods),
        .kube(.createVM, "create", .virtualMachines),
        .kube(.createVM, "patch", .persistentVolumeClaims),
        .aws(.removeSnapshots, "DeleteSnapshot"),
    ]

    @Test("a transient error keeps the VM in its phase, and the next tick carries on", arguments: faults)
    func transientError(_ fault: Fault) async throws {
        let harness = try await PhaseHarness(twoAccounts: true)
        await fault.arm(harness, 2)
        let vm = await harness.run(harness.admitted(), context: harness.context())
        #expect(vm.conditions?.isTrue(ConditionType.succeeded) == true, "\(String(describing: vm.error))")
        #expect(await harness.ec2.count("CreateSnapshots") == (fault.phase == .createSnapshots ? 3 : 1))
        #expect(await harness.ec2.volumes.values.filter { $0.snapshotID != nil }.count == 2)
    }

    @Test("a transient error that does not go away fails the VM after the limit, with the error", arguments: faults)
    func persistentTransientError(_ fault: Fault) async throws {
        let harness = try await PhaseHarness(twoAccounts: true)
        await fault.arm(harness, VMMigrator.transientLimit)
        let vm = await harness.run(harness.admitted(), context: harness.context())
        #expect(vm.error?.phase == fault.phase.rawValue)
        #expect(vm.error?.reasons.first == "\(fault.transient)")
        try await expectCleanedUp(harness, vm)
    }

    @Test(
        "a permanent error fails the VM at once in its phase, names the error, and removes what it made",
        arguments: faults)
    func permanentError(_ fault: Fault) async throws {
        let harness = try await PhaseHarness(twoAccounts: true)
        await fault.arm(harness, 0)
        let vm = await harness.run(harness.admitted(), context: harness.context())
        #expect(vm.error?.phase == fault.phase.rawValue)
        #expect(
            vm.error?.reasons.first?.contains(
                fault.permanent is AWSError ? "UnauthorizedOperation" : "forbidden by policy")
                == true, "\(String(describing: vm.error))")
        #expect(vm.conditions?.isTrue(ConditionType.failed) == true)
        try await expectCleanedUp(harness, vm)
    }

    /// What a failed VM leaves: no snapshots, no new volumes, no claims, volumes or VMs, and the source running.
    func expectCleanedUp(_ harness: PhaseHarness, _ vm: VMStatus) async throws {
        let ec2 = harness.ec2
        // A failure in RemoveSnapshots itself is retried by cleanup, whose DeleteSnapshot is not armed.
        let snapshots = await ec2.snapshots.keys.sorted()
        #expect(snapshots.isEmpty, "snapshots left: \(snapshots)")
        #expect(await ec2.volumes.values.filter { $0.snapshotID != nil }.isEmpty)
        #expect(await ec2.instances[PhaseHarness.instanceID]?.state.name == "running")
        for resource in [ResourceType.persistentVolumeClaims, .persistentVolumes, .virtualMachines, .pods] {
            #expect(await harness.cluster.count(resource) == 0, "\(resource.plural) left")
        }
        #expect(vm.completed != nil)
    }

    @Test(
        "states AWS reports fail the VM with what happened: a terminated instance, a failed or vanished snapshot, a broken volume"
    )
    func awsStates() async throws {
        let terminated = try await PhaseHarness()
        await terminated.ec2.setInstance(PhaseHarness.instanceID, state: "terminated")
        // The first tick enters StorePowerState, which waits for the batched DescribeInstances of the next.
        var vm = await terminated.tick(terminated.admitted(), context: terminated.context())
        vm = await terminated.tick(vm, context: terminated.context())
        #expect(vm.error?.reasons.first == "instance \(PhaseHarness.instanceID) is terminated")
        #expect(vm.error?.phase == Phase.storePowerState.rawValue)

        let failedSnapshot = try await PhaseHarness()
        let context = failedSnapshot.context()
        vm = failedSnapshot.admitted()
        vm = await failedSnapshot.tick(vm, context: context, until: [.waitForSnapshots]) {
            await failedSnapshot.ec2.settle()
        }
        let snapshot = try #require(await failedSnapshot.ec2.snapshots.keys.sorted().first)
        // One of the pending snapshots ends in error, as AWS reports it.
        await failedSnapshot.ec2.setSnapshot(snapshot, state: "error", message: "internal error")
        vm = await failedSnapshot.tick(vm, context: context)
        #expect(vm.error?.reasons.first?.hasPrefix("snapshot \(snapshot) of ") == true)
        #expect(vm.error?.reasons.first?.hasSuffix("failed: internal error") == true)

        // A snapshot deleted behind the migration's back (batched Describe says NotFound; one by one finds which).
        let vanished = try await PhaseHarness()
        let vanishedContext = vanished.context()
        vm = vanished.admitted()
        vm = await vanished.tick(vm, context: vanishedContext, until: [.waitForSnapshots]) {
            await vanished.ec2.settle()
        }
        let gone = try #require(vanishedContext.snapshotIDs(of: vm).sorted { $0.key < $1.key }.first)
        try await vanished.ec2.deleteSnapshot(id: gone.value)
        vm = await vanished.tick(vm, context: vanishedContext)
        #expect(vm.error?.reasons.first == "snapshot \(gone.value) of \(gone.key) disappeared")

        let brokenVolume = try await PhaseHarness()
        let volumeContext = brokenVolume.context()
        vm = brokenVolume.admitted()
        vm = await brokenVolume.tick(vm, context: volumeContext, until: [.waitForVolumes]) {
            await brokenVolume.ec2.settle()
        }
        let volume = try #require(brokenVolume.context().newVolumeIDs(of: vm).values.sorted().first)
        await brokenVolume.ec2.setVolume(volume, state: "error")
        vm = await brokenVolume.tick(vm, context: volumeContext)
        #expect(vm.error?.phase == Phase.waitForVolumes.rawValue)
        #expect(vm.error?.reasons.first?.hasPrefix("volume \(volume) (from vol-") == true)
        #expect(vm.error?.reasons.first?.hasSuffix(") entered the error state") == true)
        #expect(await brokenVolume.ec2.volumes[volume] == nil, "the failed VM's new volumes are deleted")
    }

    @Test("a failed conversion pod fails the VM with the tail of the virt-v2v log")
    func failedConversion() async throws {
        let harness = try await PhaseHarness()
        let context = harness.context()
        var vm = harness.admitted()
        vm = await harness.tick(vm, context: context, until: [.convertGuest]) {
            await harness.ec2.settle()
            for name in await harness.cluster.names(.persistentVolumeClaims, namespace: PhaseHarness.namespace) {
                await harness.cluster.setPhase(
                    .persistentVolumeClaims, name, namespace: PhaseHarness.namespace, "Bound")
            }
        }
        let pod = try #require(await harness.cluster.names(.pods, namespace: PhaseHarness.namespace).first)
        await harness.cluster.setPhase(.pods, pod, namespace: PhaseHarness.namespace, "Failed")
        await harness.cluster.setLog(
            pod: pod, namespace: PhaseHarness.namespace, "line 1\nvirt-v2v: error: no root device found\n")
        vm = await harness.tick(vm, context: context)
        #expect(vm.error?.phase == Phase.convertGuest.rawValue)
        #expect(
            vm.error?.reasons.first
                == "the conversion pod \(pod) failed; log tail: line 1 | virt-v2v: error: no root device found")
    }

    @Test("a claim of the same name that another owner made is not taken over: the VM fails and names it")
    func foreignClaim() async throws {
        let harness = try await PhaseHarness()
        let builder = try harness.context().requireBuilder(for: harness.admitted())
        let disk = try #require(harness.context().disks(of: harness.admitted()).first)
        await harness.cluster.put(
            .persistentVolumeClaims, ["metadata": ["name": .string(builder.pvcName(disk))]],
            namespace: PhaseHarness.namespace)
        let vm = await harness.run(harness.admitted(), context: harness.context())
        #expect(vm.error?.phase == Phase.createPVsAndPVCs.rawValue)
        #expect(
            vm.error?.reasons.first
                == "PersistentVolumeClaim \(PhaseHarness.namespace)/\(builder.pvcName(disk)) already "
                + "exists and was not made by this migration; delete or rename it and start the plan again")
        #expect(
            await harness.cluster.object(
                .persistentVolumeClaims, builder.pvcName(disk),
                namespace: PhaseHarness.namespace) != nil, "someone else's claim stays")
    }

    @Test("a VM waiting past its phase's deadline fails with the limit; a restart does not extend its step's")
    func deadlines() async throws {
        let harness = try await PhaseHarness()
        let memory = MigrationMemory(clock: { harness.clock.read() })
        let context = harness.context(memory: memory)
        // Nothing settles: the instance stays stopping.
        var vm = await harness.tick(harness.admitted(), context: context)
        vm = await harness.tick(vm, context: context)
        #expect(vm.phase == Phase.waitForPowerOff.rawValue)
        harness.clock.advance(seconds: 14 * 60)
        vm = await harness.tick(vm, context: context)
        #expect(vm.completed == nil)
        harness.clock.advance(seconds: 2 * 60)
        vm = await harness.tick(vm, context: context)
        #expect(vm.error?.reasons.first == "WaitForPowerOff did not finish within 15 minutes")
        #expect(vm.error?.phase == Phase.waitForPowerOff.rawValue)

        // A new process starts the phase's clock again, but the step's start is in the status.
        let restarted = try await PhaseHarness()
        var waiting = await restarted.tick(restarted.admitted(), context: restarted.context())
        let step = try #require(waiting.pipeline.firstIndex { $0.name == Step.prepareSource.rawValue })
        waiting.pipeline[step].started = ISO8601DateFormatter().string(from: restarted.clock.read() - 10 * 3600)
        waiting = await restarted.tick(waiting, context: restarted.context())
        #expect(
            waiting.error?.reasons.first == "PrepareSource did not finish within 35 minutes of its start",
            "\(String(describing: waiting.error))")
    }

    @Test("AWS refusing a rotated key waits for the new key; refusing the current one fails the VM")
    func authentication() async throws {
        let refused = AWSError(
            code: "AuthFailure", message: "not able to validate the credentials",
            operation: "ec2:StopInstances", httpStatus: 401)
        let rotated = try await PhaseHarness()
        var vm = await rotated.tick(rotated.admitted(), context: rotated.context())
        await rotated.ec2.arm("StopInstances", refused)
        await rotated.cluster.put(
            .secrets, ["metadata": ["name": "ec2-secret", "namespace": "ns", "resourceVersion": "2"]],
            namespace: "ns")
        vm = await rotated.tick(vm, context: rotated.context())
        #expect(vm.error == nil && vm.phase == Phase.powerOffSource.rawValue)
        vm = await rotated.tick(vm, context: rotated.context())
        #expect(vm.phase == Phase.waitForPowerOff.rawValue)

        let current = try await PhaseHarness()
        vm = await current.tick(current.admitted(), context: current.context())
        await current.ec2.arm("StopInstances", refused)
        vm = await current.tick(vm, context: current.context())
        #expect(vm.error?.reasons.first == "\(refused)")
    }

    @Test("a controller killed after any tick's calls and before its status write finishes with one set of everything")
    func restartAfterEveryTick() async throws {
        let harness = try await PhaseHarness(twoAccounts: true)
        var vm = harness.admitted()
        var ticks = 0
        while vm.completed == nil, ticks < 40 {
            // The first process does the tick's work and dies before writing the status; a new one repeats it.
            _ = await harness.tick(vm, context: harness.context())
            vm = await harness.tick(vm, context: harness.context(), fresh: false)
            await harness.settle()
            ticks += 1
        }
        #expect(vm.conditions?.isTrue(ConditionType.succeeded) == true, "\(String(describing: vm.error))")
        let ec2 = harness.ec2
        #expect(await ec2.count("CreateSnapshots") == 1, "the repeated tick found the snapshots by tag")
        #expect(await ec2.volumes.values.filter { $0.snapshotID != nil }.count == 2, "ClientToken: no second volume")
        #expect(await ec2.snapshots.isEmpty)
        #expect(await harness.cluster.count(.persistentVolumeClaims) == 2)
        #expect(await harness.cluster.count(.virtualMachines) == 1)
    }
}
