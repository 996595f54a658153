/// Which VMs of a migration a tick works on: at most `maxInFlight` past Started, and new snapshot requests only
/// while the snapshots already pending stay within the account's limit (AWS allows 100 pending per account).
public enum Admission {
    /// What admission needs to know about one VM.
    public struct Candidate: Sendable, Equatable {
        public var phase: Phase
        public var disks: Int
        /// Whether its snapshots were requested (their IDs are on record).
        public var snapshotsRequested: Bool
        public var completed: Bool

        /// Creates a candidate.
        public init(phase: Phase, disks: Int, snapshotsRequested: Bool, completed: Bool = false) {
            self.phase = phase
            self.disks = disks
            self.snapshotsRequested = snapshotsRequested
            self.completed = completed
        }
    }

    /// The indices of the VMs to advance this tick, in plan order.
    public static func select(_ vms: [Candidate], maxInFlight: Int, pendingSnapshotLimit: Int) -> [Int] {
        let inFlight = vms.filter { !$0.completed && $0.phase != .started }.count
        var slots = max(0, maxInFlight - inFlight)
        var pending = vms.filter { vm in
            !vm.completed && (vm.phase == .waitForSnapshots || (vm.phase == .createSnapshots && vm.snapshotsRequested))
        }.reduce(0) { $0 + $1.disks }
        var admitted: [Int] = []
        for (index, vm) in vms.enumerated() where !vm.completed {
            if vm.phase == .started {
                guard slots > 0 else { continue }
                slots -= 1
            }
            if vm.phase == .createSnapshots, !vm.snapshotsRequested {
                // A VM with more disks than the limit still goes alone rather than never.
                guard pending + vm.disks <= pendingSnapshotLimit || pending == 0 else { continue }
                pending += vm.disks
            }
            admitted.append(index)
        }
        return admitted
    }
}
