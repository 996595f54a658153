import MTVAPI
import MigrationCore
import Testing

/// A VM's pipeline as the UIs read it: each step and task has a phase and times, and progress belongs to the step
/// doing the work.
@Suite("Pipeline bookkeeping")
struct PipelineBookkeepingTests {
    static func vm() -> VMStatus {
        VMStatus(
            id: "i-1", name: "web", phase: Phase.started.rawValue,
            pipeline: Itinerary(.init(shareSnapshots: false, convertGuest: true)).pipeline(diskMiB: 30 * 1024))
    }

    static func step(_ vm: VMStatus, _ step: Step) -> PipelineStep {
        vm.pipeline.first { $0.name == step.rawValue }!
    }

    @Test("every step starts Pending with no times; marking sets Running, then Completed with full progress")
    func stepPhases() {
        var vm = Self.vm()
        #expect(vm.pipeline.allSatisfy { $0.phase == "Pending" && $0.started == nil && $0.completed == nil })
        vm.mark(.prepareSource, .running, now: "t1")
        vm.setProgress(.prepareSource, completed: 1, total: 2)
        #expect(Self.step(vm, .prepareSource).phase == "Running" && Self.step(vm, .prepareSource).started == "t1")
        #expect(Self.step(vm, .prepareSource).progress == .init(total: 2, completed: 1))
        vm.mark(.prepareSource, .running, now: "t2")
        #expect(Self.step(vm, .prepareSource).started == "t1", "the first start is kept")
        vm.mark(.prepareSource, .completed, now: "t3")
        let done = Self.step(vm, .prepareSource)
        #expect(done.phase == "Completed" && done.completed == "t3" && done.progress == .init(total: 2, completed: 2))
    }

    @Test("snapshot progress follows AWS on the CreateSnapshots tasks, weighted by size, and never on DiskTransfer")
    func snapshotProgress() {
        var vm = Self.vm()
        vm.mark(.createSnapshots, .running, now: "t1")
        vm.report(
            .createSnapshots, task: "vol-a", totalMiB: 10240, percent: 0, now: "t1", annotations: ["snapshot": "snap-a"]
        )
        vm.report(
            .createSnapshots, task: "vol-b", totalMiB: 20480, percent: 0, now: "t1", annotations: ["snapshot": "snap-b"]
        )
        vm.report(
            .createSnapshots, task: "vol-a", totalMiB: 10240,
            percent: VMStatus.snapshotPercent(state: "pending", progress: "50%"), now: "t2")
        vm.report(
            .createSnapshots, task: "vol-b", totalMiB: 20480,
            percent: VMStatus.snapshotPercent(state: "completed", progress: "100%"), now: "t3")
        let step = Self.step(vm, .createSnapshots)
        #expect(step.progress == .init(total: 30720, completed: 5120 + 20480))
        #expect(step.annotations?["unit"] == "MB")
        let a = step.tasks?.first { $0.name == "vol-a" }
        let b = step.tasks?.first { $0.name == "vol-b" }
        #expect(
            a?.phase == "Running" && a?.started == "t1" && a?.completed == nil
                && a?.annotations?["snapshot"] == "snap-a")
        #expect(b?.phase == "Completed" && b?.completed == "t3" && b?.progress == .init(total: 20480, completed: 20480))
        let transfer = Self.step(vm, .diskTransfer)
        #expect(transfer.phase == "Pending" && transfer.progress.completed == 0 && transfer.tasks == nil)

        vm.mark(.createSnapshots, .completed, now: "t4")
        let finished = Self.step(vm, .createSnapshots)
        #expect(finished.progress.completed == finished.progress.total)
        #expect(finished.tasks?.allSatisfy { $0.phase == "Completed" && $0.completed != nil } == true)
    }

    @Test("a task's progress never goes back, and a completed task stays completed")
    func monotonic() {
        var vm = Self.vm()
        vm.report(
            .diskTransfer, task: "vol-a", totalMiB: 1024, percent: 90, now: "t1", annotations: ["volume": "vol-new"])
        vm.report(.diskTransfer, task: "vol-a", totalMiB: 1024, percent: 0, now: "t2")
        #expect(Self.step(vm, .diskTransfer).tasks?.first?.progress.completed == 921)
        vm.report(.diskTransfer, task: "vol-a", totalMiB: 1024, percent: 100, now: "t3")
        vm.report(.diskTransfer, task: "vol-a", totalMiB: 1024, percent: 90, now: "t4")
        let task = Self.step(vm, .diskTransfer).tasks?.first
        #expect(task?.phase == "Completed" && task?.completed == "t3" && task?.progress.completed == 1024)
        #expect(task?.annotations == ["volume": "vol-new", "unit": "MB"])
        vm.annotate(.diskTransfer, task: "vol-a", ["pvc": "web-disk-0"])
        #expect(Self.step(vm, .diskTransfer).tasks?.first?.annotations?["pvc"] == "web-disk-0")
    }

    @Test("a failure marks the phase's step Failed with the reason, and its unfinished tasks with it")
    func failure() {
        var vm = Self.vm()
        vm.report(.diskTransfer, task: "vol-a", totalMiB: 1024, percent: 100, now: "t1")
        vm.report(.diskTransfer, task: "vol-b", totalMiB: 1024, percent: 90, now: "t1")
        vm.markFailed(.waitForVolumes, message: "volume vol-x entered the error state")
        let step = Self.step(vm, .diskTransfer)
        #expect(step.phase == "Failed" && step.error?.reasons == ["volume vol-x entered the error state"])
        #expect(step.error?.phase == "WaitForVolumes")
        #expect(step.tasks?.map { $0.phase ?? "" } == ["Completed", "Failed"])
    }

    @Test(
        "AWS's snapshot Progress reads as a percent below 100 until the snapshot is completed",
        arguments: [
            ("pending", "", 0), ("pending", nil, 0), ("pending", "37%", 37), ("pending", "100%", 99),
            ("completed", "", 100), ("error", "12%", 12), ("pending", "junk", 0), ("pending", "-5%", 0),
        ] as [(String, String?, Int)])
    func snapshotPercent(state: String, progress: String?, expected: Int) {
        #expect(VMStatus.snapshotPercent(state: state, progress: progress) == expected)
    }
}
