import Foundation
import MTVAPI

/// The phases a pipeline step or task goes through, as upstream's UIs show them.
public enum StepPhase: String, Sendable {
    case pending = "Pending"
    case running = "Running"
    case completed = "Completed"
    case failed = "Failed"
}

/// The bookkeeping of a VM's pipeline: which step runs, each step's and task's phase, times and progress. Progress
/// belongs to the step doing the work; a step's progress is the sum of its tasks' when it has tasks.
extension VMStatus {
    /// Marks `step` Running or Completed (a completed step's tasks and progress complete with it); the start is
    /// kept from the first mark.
    public mutating func mark(_ step: Step, _ phase: StepPhase, now: String) {
        guard let index = pipeline.firstIndex(where: { $0.name == step.rawValue }) else { return }
        if pipeline[index].started == nil { pipeline[index].started = now }
        if phase == .completed {
            pipeline[index].completed = pipeline[index].completed ?? now
            pipeline[index].tasks = pipeline[index].tasks?.map { task in
                var task = task
                task.finish(now: now)
                return task
            }
            pipeline[index].progress.completed = pipeline[index].progress.total
        }
        pipeline[index].phase = phase.rawValue
    }

    /// Moves the VM to `phase`: the previous phase's step completes when the new phase belongs to another step, and
    /// the new phase's step starts (Completed starts nothing).
    public mutating func enter(_ phase: Phase, now: String) {
        let old = Itinerary.step(of: Phase(rawValue: self.phase) ?? .started)
        let new = Itinerary.step(of: phase)
        if old != new {
            mark(old, .completed, now: now)
            if phase != .completed { mark(new, .running, now: now) }
        } else if pipeline.first(where: { $0.name == new.rawValue })?.started == nil {
            mark(new, .running, now: now)
        }
        self.phase = phase.rawValue
    }

    /// Marks the step of `phase` Failed with `message`; its unfinished tasks fail with it.
    public mutating func markFailed(_ phase: Phase, message: String) {
        guard let index = pipeline.firstIndex(where: { $0.name == Itinerary.step(of: phase).rawValue }) else { return }
        pipeline[index].error = VMError(phase: phase.rawValue, reasons: [message])
        pipeline[index].phase = StepPhase.failed.rawValue
        pipeline[index].tasks = pipeline[index].tasks?.map { task in
            var task = task
            if task.phase != StepPhase.completed.rawValue { task.phase = StepPhase.failed.rawValue }
            return task
        }
    }

    /// Sets a step without tasks to `completed` of `total` units.
    public mutating func setProgress(_ step: Step, completed: Int64, total: Int64) {
        guard let index = pipeline.firstIndex(where: { $0.name == step.rawValue }) else { return }
        pipeline[index].progress = .init(total: total, completed: min(completed, total))
    }

    /// Records how far one task of `step` is (`percent` of its `totalMiB`): it is Running from the first report and
    /// Completed at 100; progress never goes back. The task is added when new, with `annotations` merged in.
    public mutating func report(
        _ step: Step, task name: String, totalMiB: Int64, percent: Int, now: String,
        annotations: [String: String] = [:]
    ) {
        guard let index = pipeline.firstIndex(where: { $0.name == step.rawValue }) else { return }
        var tasks = pipeline[index].tasks ?? []
        let position =
            tasks.firstIndex { $0.name == name }
            ?? {
                tasks.append(PipelineStep.Task(name: name, progress: .init(total: totalMiB, completed: 0)))
                return tasks.count - 1
            }()
        var task = tasks[position]
        task.annotations = (task.annotations ?? [:]).merging(annotations.merging(["unit": "MB"]) { old, _ in old }) {
            _, new in new
        }
        task.progress.total = totalMiB
        let clamped = Int64(min(max(percent, 0), 100))
        task.progress.completed = min(totalMiB, max(task.progress.completed, totalMiB * clamped / 100))
        if task.started == nil { task.started = now }
        if clamped == 100 {
            task.finish(now: now)
        } else if task.phase != StepPhase.completed.rawValue {
            task.phase = StepPhase.running.rawValue
        }
        tasks[position] = task
        pipeline[index].tasks = tasks
        pipeline[index].annotations = (pipeline[index].annotations ?? [:]).merging(["unit": "MB"]) { old, _ in old }
        pipeline[index].progress = .init(
            total: tasks.reduce(0) { $0 + $1.progress.total },
            completed: tasks.reduce(0) { $0 + $1.progress.completed })
    }

    /// Merges annotations into one task of a step (nothing when the task is not there).
    public mutating func annotate(_ step: Step, task name: String, _ values: [String: String]) {
        guard let index = pipeline.firstIndex(where: { $0.name == step.rawValue }),
            var tasks = pipeline[index].tasks, let task = tasks.firstIndex(where: { $0.name == name })
        else { return }
        tasks[task].annotations = (tasks[task].annotations ?? [:]).merging(values) { _, new in new }
        pipeline[index].tasks = tasks
    }

    /// The percent an EBS snapshot reports: 100 once `completed`, else its `Progress` ("56%"; blank while pending).
    public static func snapshotPercent(state: String?, progress: String?) -> Int {
        if state == "completed" { return 100 }
        let digits = (progress ?? "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: "")
        return min(max(Int(digits) ?? 0, 0), 99)
    }
}

extension PipelineStep.Task {
    /// Completes the task: full progress, a completion time (kept from the first time).
    mutating func finish(now: String) {
        phase = StepPhase.completed.rawValue
        if started == nil { started = now }
        completed = completed ?? now
        progress.completed = progress.total
    }
}
