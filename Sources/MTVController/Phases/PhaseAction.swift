import AWSClient
import MTVAPI
import MigrationCore

/// One phase of a VM's migration: what it needs AWS to report each tick, and the action it takes. A new data path
/// or a hook is a new `PhaseAction` and a new entry in the itinerary, not new arms in a switch.
protocol PhaseAction: Sendable {
    /// The phase this action runs.
    var phase: Phase { get }

    /// The AWS resources of `vm` this tick's batched Describe calls should report (none by default).
    func watched(_ vm: VMStatus, _ context: MigrationContext) -> Watched

    /// One tick of the phase: `.next` when the VM may enter the next phase, `.wait` to look again next tick.
    /// Repeating it after a crash never creates anything twice. Errors are classified by `VMMigrator`:
    /// `PermanentFailure` fails the VM, transient errors are retried, and a deadline bounds the waiting.
    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome
}

extension PhaseAction {
    func watched(_ vm: VMStatus, _ context: MigrationContext) -> Watched { Watched() }
}

/// What a phase's tick concluded.
enum PhaseOutcome: Sendable, Equatable {
    /// Done; go to the next phase now.
    case next
    /// Waiting for AWS or the cluster; look again next tick.
    case wait
}

/// A failure that no retry can fix, with the message the VM's error shows.
struct PermanentFailure: Error, CustomStringConvertible {
    var description: String
}

/// IDs of AWS resources a VM waits on, batched across VMs into one Describe call per kind.
struct Watched: Sendable, Equatable {
    var instances: [String] = []
    var snapshots: [String] = []
    var volumes: [String] = []
    /// Snapshot copies in the target region.
    var copies: [String] = []
}

/// What AWS said this tick about the resources the VMs in flight wait on.
struct Observations: Sendable {
    var instances: [String: Instance] = [:]
    var snapshots: [String: Snapshot] = [:]
    var volumes: [String: Volume] = [:]
    var copies: [String: Snapshot] = [:]
    /// IDs AWS says do not exist.
    var missing: Set<String> = []
    /// Instances whose snapshot request this tick recorded: they may be sent without a lookup.
    var freshSnapshotRequests: Set<String> = []

    /// What AWS reported for `id` in `reported` this tick: nil while it was not described; an ID AWS says does not
    /// exist fails the VM, naming it as `what` ("snapshot snap-1 of vol-1").
    func resource<T>(_ id: String, in reported: [String: T], _ what: @autoclosure () -> String) throws -> T? {
        if let found = reported[id] { return found }
        if missing.contains(id) { throw PermanentFailure(description: "\(what()) disappeared") }
        return nil
    }
}

/// The action of every phase, by phase.
enum PhaseActions {
    static let all: [Phase: any PhaseAction] = Dictionary(
        uniqueKeysWithValues: ([
            Started(), StorePowerState(), PowerOffSource(), WaitForPowerOff(),
            CreateSnapshots(), WaitForSnapshots(), ShareSnapshots(), CopySnapshots(), WaitForSnapshotCopies(),
            CreateVolumes(), WaitForVolumes(), CreatePVsAndPVCs(),
            CreateGuestConversionPod(), ConvertGuest(),
            CreateVM(), RemoveSnapshots(), Completed(),
            RunHook(step: .preHook), RunHook(step: .postHook),
        ] as [any PhaseAction]).map { ($0.phase, $0) })

    /// The action of `phase`; a phase without one fails the VM rather than the process.
    static func action(for phase: Phase) throws -> any PhaseAction {
        guard let action = all[phase] else {
            throw PermanentFailure(description: "no action for phase \(phase.rawValue)")
        }
        return action
    }
}
