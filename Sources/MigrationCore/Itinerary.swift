import MTVAPI

/// A VM's migration phases (upstream names, so existing UIs understand the status).
public enum Phase: String, Sendable, CaseIterable {
    case started = "Started"
    case preHook = "PreHook"
    case storePowerState = "StorePowerState"
    case powerOffSource = "PowerOffSource"
    case waitForPowerOff = "WaitForPowerOff"
    case createSnapshots = "CreateSnapshots"
    case waitForSnapshots = "WaitForSnapshots"
    case shareSnapshots = "ShareSnapshots"
    case copySnapshots = "CopySnapshots"
    case waitForSnapshotCopies = "WaitForSnapshotCopies"
    case createVolumes = "CreateVolumes"
    case waitForVolumes = "WaitForVolumes"
    case createPVsAndPVCs = "CreatePVsAndPVCs"
    case createGuestConversionPod = "CreateGuestConversionPod"
    case convertGuest = "ConvertGuest"
    case createVM = "CreateVM"
    case removeSnapshots = "RemoveSnapshots"
    case postHook = "PostHook"
    case completed = "Completed"
}

/// The pipeline steps a UI shows, each covering one or more phases.
public enum Step: String, Sendable, CaseIterable {
    case initialize = "Initialize"
    case preHook = "PreHook"
    case prepareSource = "PrepareSource"
    case createSnapshots = "CreateSnapshots"
    case shareSnapshots = "ShareSnapshots"
    case copySnapshots = "CopySnapshots"
    case diskTransfer = "DiskTransfer"
    case imageConversion = "ImageConversion"
    case createVM = "CreateVM"
    case cleanup = "Cleanup"
    case postHook = "PostHook"

    /// What the step does, as the status shows it.
    public var summary: String {
        switch self {
        case .initialize: "Initialize migration."
        case .preHook: "Run the pre-migration hook."
        case .prepareSource: "Stop the source EC2 instance."
        case .createSnapshots: "Snapshot the EBS volumes (one crash-consistent set)."
        case .shareSnapshots: "Share the snapshots with the target account."
        case .copySnapshots: "Copy the snapshots into the target region."
        case .diskTransfer: "Create EBS volumes in the target zone and bind them as PVs and PVCs."
        case .imageConversion: "Convert the guest to VirtIO (virt-v2v in place)."
        case .createVM: "Create the VirtualMachine."
        case .cleanup: "Delete the migration snapshots."
        case .postHook: "Run the post-migration hook."
        }
    }

    /// Whether the step's progress counts MiB of the VM's disks rather than one unit.
    var countsMiB: Bool { self == .diskTransfer || self == .copySnapshots }
}

/// The phases one VM goes through, from the plan's options: a data-driven list, so a transfer method can add its
/// own phases without touching the others.
public struct Itinerary: Sendable, Equatable {
    /// What decides which optional phases run.
    public struct Options: Sendable, Equatable {
        /// Snapshots must be shared because the target account differs from the source.
        public var shareSnapshots: Bool
        /// Snapshots are copied into the target region because it differs from the source's.
        public var copySnapshots = false
        /// virt-v2v converts the guest.
        public var convertGuest: Bool
        /// A hook runs before the source instance is stopped.
        public var preHook = false
        /// A hook runs once the VirtualMachine exists.
        public var postHook = false

        /// Creates options.
        public init(shareSnapshots: Bool, convertGuest: Bool) {
            self.shareSnapshots = shareSnapshots
            self.convertGuest = convertGuest
        }
    }

    public let phases: [Phase]

    /// The EC2 cold migration itinerary for these options.
    public init(_ options: Options) {
        phases = Phase.allCases.filter { phase in
            switch phase {
            case .shareSnapshots: options.shareSnapshots
            case .copySnapshots, .waitForSnapshotCopies: options.copySnapshots
            case .createGuestConversionPod, .convertGuest: options.convertGuest
            case .preHook: options.preHook
            case .postHook: options.postHook
            default: true
            }
        }
    }

    /// The phase after `phase` (Completed after the last).
    public func next(after phase: Phase) -> Phase {
        guard let index = phases.firstIndex(of: phase), index + 1 < phases.count else { return .completed }
        return phases[index + 1]
    }

    /// The step a phase belongs to.
    public static func step(of phase: Phase) -> Step {
        switch phase {
        case .started: .initialize
        case .preHook: .preHook
        case .postHook: .postHook
        case .storePowerState, .powerOffSource, .waitForPowerOff: .prepareSource
        case .createSnapshots, .waitForSnapshots: .createSnapshots
        case .shareSnapshots: .shareSnapshots
        case .copySnapshots, .waitForSnapshotCopies: .copySnapshots
        case .createVolumes, .waitForVolumes, .createPVsAndPVCs: .diskTransfer
        case .createGuestConversionPod, .convertGuest: .imageConversion
        case .createVM: .createVM
        case .removeSnapshots, .completed: .cleanup
        }
    }

    /// The steps of this itinerary, in order, with their progress totals (DiskTransfer and CopySnapshots count MiB
    /// of all disks).
    public func pipeline(diskMiB: Int64) -> [PipelineStep] {
        var steps: [Step] = []
        for phase in phases {
            let step = Self.step(of: phase)
            if !steps.contains(step) { steps.append(step) }
        }
        return steps.map { step in
            var entry = PipelineStep(
                name: step.rawValue, description: step.summary,
                progress: .init(total: step.countsMiB ? max(diskMiB, 1) : 1, completed: 0))
            if step.countsMiB { entry.annotations = ["unit": "MB"] }
            entry.phase = "Pending"
            return entry
        }
    }

    /// How long a phase may take before the VM fails (seconds): waits on AWS or the cluster get long limits,
    /// quick actions short ones; a copy between regions gets an hour and two minutes per GiB of the VM's disks.
    public static func deadline(of phase: Phase, sizeGiB: Int = 0) -> Double {
        switch phase {
        case .waitForPowerOff: 15 * 60
        case .waitForSnapshots: 6 * 3600
        case .waitForSnapshotCopies: 3600 + 120 * Double(sizeGiB)
        case .waitForVolumes: 60 * 60
        case .createPVsAndPVCs: 30 * 60
        case .convertGuest: 4 * 3600
        case .preHook, .postHook: 6 * 3600
        default: 10 * 60
        }
    }

    /// How long a step may take in all (seconds): the sum of its phases' deadlines. A step's start is kept in the
    /// status, so this limit holds across controller restarts, while a phase's own starts again with each process.
    public static func deadline(of step: Step, sizeGiB: Int = 0) -> Double {
        Phase.allCases.filter { Self.step(of: $0) == step }.map { deadline(of: $0, sizeGiB: sizeGiB) }.reduce(0, +)
    }

    /// Why a VM waiting in `phase` has run out of time (nil while it has not): `phaseElapsed` seconds in the phase,
    /// `stepElapsed` since its step started (nil when unknown); `sizeGiB` is the size of the VM's disks.
    public static func overdue(
        _ phase: Phase, phaseElapsed: Double, stepElapsed: Double?, sizeGiB: Int = 0
    )
        -> String?
    {
        let phaseLimit = deadline(of: phase, sizeGiB: sizeGiB)
        if phaseElapsed > phaseLimit {
            return "\(phase.rawValue) did not finish within \(Int(phaseLimit / 60)) minutes"
        }
        let step = step(of: phase)
        let stepLimit = deadline(of: step, sizeGiB: sizeGiB)
        if let stepElapsed, stepElapsed > stepLimit {
            return "\(step.rawValue) did not finish within \(Int(stepLimit / 60)) minutes of its start"
        }
        return nil
    }
}
