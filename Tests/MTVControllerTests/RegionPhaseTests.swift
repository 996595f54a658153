import AWSClient
import Foundation
import MTVAPI
import MigrationCore
import Testing

@testable import MTVController

/// A provider whose target region differs from its region: snapshots are copied into the target region, volumes
/// are made from the copies, and both the snapshots and the copies go afterwards.
@Suite("Migration across regions", .timeLimit(.minutes(1)))
struct RegionPhaseTests {
    @Test("the copies are made in the target region, re-encrypted with target-kms-key, and deleted with the snapshots")
    func copiesIntoTheTargetRegion() async throws {
        let harness = try await PhaseHarness(targetRegion: "eu-west-1", targetKMSKey: "alias/migrated")
        let context = harness.context()
        var vm = harness.admitted()
        #expect(vm.pipeline.map(\.name).contains(Step.copySnapshots.rawValue))
        vm = await harness.tick(vm, context: context, until: [.waitForSnapshotCopies]) { await harness.settle() }
        let target = harness.targetEC2
        let copies = await target.snapshots
        #expect(copies.count == 2)
        #expect(copies.values.allSatisfy { $0.kmsKeyID == "alias/migrated" && $0.encrypted == true })
        let sources = Set(copies.values.compactMap { $0.tags[key: MigrationLabels.snapshot] })
        #expect(sources == Set(await harness.ec2.snapshots.keys), "each copy names the snapshot it copies")
        let copyStep = try #require(vm.pipeline.first { $0.name == Step.copySnapshots.rawValue })
        #expect(copyStep.progress.total == 30 * 1024 && copyStep.progress.completed == 0)

        vm = await harness.run(vm, context: context)
        #expect(vm.conditions?.isTrue(ConditionType.succeeded) == true, "\(String(describing: vm.error))")
        let made = await target.volumes.values.filter { $0.snapshotID != nil }
        #expect(made.count == 2)
        #expect(made.allSatisfy { copies[$0.snapshotID ?? ""] != nil && $0.availabilityZone == "eu-west-1c" })
        #expect(made.allSatisfy { $0.kmsKeyID == "alias/migrated" })
        #expect(await harness.ec2.count("CreateVolume") == 0, "no volume in the source region")
        #expect(await target.snapshots.isEmpty)
        #expect(await harness.ec2.snapshots.isEmpty)
        for step in vm.pipeline { #expect(step.phase == StepPhase.completed.rawValue, "\(step.name)") }
    }

    @Test("a copy that fails fails the VM with AWS's message; the copies and snapshots are deleted")
    func copyFails() async throws {
        let harness = try await PhaseHarness(targetRegion: "eu-west-1")
        let context = harness.context()
        var vm = await harness.tick(harness.admitted(), context: context, until: [.waitForSnapshotCopies]) {
            await harness.settle()
        }
        let copy = try #require(await harness.targetEC2.snapshots.keys.sorted().first)
        await harness.targetEC2.setSnapshot(copy, state: "error", message: "The KMS key is disabled")
        vm = await harness.tick(vm, context: context)
        let reason = try #require(vm.error?.reasons.first)
        #expect(reason.contains(copy) && reason.contains("eu-west-1") && reason.contains("The KMS key is disabled"))
        #expect(vm.error?.phase == Phase.waitForSnapshotCopies.rawValue)
        #expect(await harness.targetEC2.snapshots.isEmpty)
        #expect(await harness.ec2.snapshots.isEmpty)
        #expect(await harness.ec2.instances[PhaseHarness.instanceID]?.state.name == "running", "the source restarts")
    }

    @Test("a controller killed after CopySnapshot and before its status write finds the copies by tag")
    func restartAfterCopy() async throws {
        let harness = try await PhaseHarness(targetRegion: "eu-west-1")
        var vm = await harness.tick(harness.admitted(), context: harness.context(), until: [.waitForSnapshots]) {
            await harness.settle()
        }
        await harness.settle()
        // The first process makes the copies and dies before writing the status; a new one repeats the tick.
        let lost = await harness.tick(vm, context: harness.context())
        #expect(lost.phase == Phase.waitForSnapshotCopies.rawValue)
        vm = await harness.tick(vm, context: harness.context(), fresh: false)
        #expect(await harness.targetEC2.count("CopySnapshot") == 2, "the repeated tick made no second copy")
        #expect(vm.phase == Phase.waitForSnapshotCopies.rawValue)
        vm = await harness.run(vm, context: harness.context())
        #expect(vm.conditions?.isTrue(ConditionType.succeeded) == true, "\(String(describing: vm.error))")
        #expect(await harness.targetEC2.snapshots.isEmpty)
    }

    @Test("a copy's deadline grows with the VM's size")
    func copyDeadline() {
        #expect(
            Itinerary.overdue(.waitForSnapshotCopies, phaseElapsed: 3 * 3600, stepElapsed: nil, sizeGiB: 100) == nil)
        #expect(
            Itinerary.overdue(.waitForSnapshotCopies, phaseElapsed: 3 * 3600, stepElapsed: nil, sizeGiB: 10)
                == "WaitForSnapshotCopies did not finish within 80 minutes")
    }
}
