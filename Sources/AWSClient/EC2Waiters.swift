/// The EC2 waiters the migration needs, with AWS's acceptors.
extension EC2Client {
    /// Succeeds when every instance is `stopped`; fails if one is `pending` or `terminated`.
    public static func instancesStopped(maxWait: Double = 600) -> Waiter<[Instance]> {
        Waiter(
            name: "InstanceStopped",
            acceptors: [
                .output(.success) { !$0.isEmpty && $0.allSatisfy { $0.state.name == "stopped" } },
                .output(.failure, reason: "an instance is pending or terminated") {
                    $0.contains { ["pending", "terminated"].contains($0.state.name) }
                },
            ], minDelay: 2, maxDelay: 15, maxWait: maxWait)
    }

    /// Succeeds when every snapshot is `completed`; fails if one is in `error`.
    public static func snapshotsCompleted(maxWait: Double = 3600) -> Waiter<[Snapshot]> {
        Waiter(
            name: "SnapshotCompleted",
            acceptors: [
                .output(.success) { !$0.isEmpty && $0.allSatisfy { $0.state == "completed" } },
                .output(.failure, reason: "a snapshot is in the error state") { $0.contains { $0.state == "error" } },
            ], minDelay: 2, maxDelay: 30, maxWait: maxWait)
    }

    /// Succeeds when every volume is `available`; fails if one is `deleted` or in `error`.
    public static func volumesAvailable(maxWait: Double = 900) -> Waiter<[Volume]> {
        Waiter(
            name: "VolumeAvailable",
            acceptors: [
                .output(.success) { !$0.isEmpty && $0.allSatisfy { $0.state == "available" } },
                .output(.failure, reason: "a volume is deleted or in the error state") {
                    $0.contains { ["deleted", "error"].contains($0.state) }
                },
            ], minDelay: 1, maxDelay: 15, maxWait: maxWait)
    }

    /// Succeeds when the volumes are gone (`deleted`, or not found).
    public static func volumesDeleted(maxWait: Double = 600) -> Waiter<[Volume]> {
        Waiter(
            name: "VolumeDeleted",
            acceptors: [
                .output(.success) { $0.allSatisfy { $0.state == "deleted" } },
                .errorCode(.success, "InvalidVolume.NotFound"),
            ], minDelay: 1, maxDelay: 15, maxWait: maxWait)
    }
}
