import Foundation
import MigrationCore

/// What this process knows that the status does not keep: when each phase was first seen (for phase deadlines; a
/// restart starts them again, while step deadlines count from the status) and consecutive transient failures.
actor MigrationMemory {
    private var seen: [String: Date] = [:]
    private var failures: [String: Int] = [:]
    /// The time phase deadlines are measured with (the system clock, or a test's).
    nonisolated let clock: @Sendable () -> Date

    /// Creates an empty memory that tells the time with `clock`.
    init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    /// When this process first saw the key (now, the first time).
    func firstSeen(_ key: String) -> Date {
        if let date = seen[key] { return date }
        let now = clock()
        seen[key] = now
        return now
    }

    /// Counts one more transient failure; returns the count.
    func countFailure(_ key: String) -> Int {
        failures[key, default: 0] += 1
        return failures[key]!
    }

    /// Forgets a key's failures and first sighting (its phase is done).
    func clearFailures(_ key: String) {
        failures[key] = nil
        seen[key] = nil
    }
}
