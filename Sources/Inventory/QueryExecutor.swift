import Foundation

/// Runs the CPU-heavy part of inventory requests (store reads, query evaluation, JSON encoding) on threads of its
/// own, at most `width` at once and with at most `queueLimit` waiting. Health checks and the rest of the API are
/// served by other threads, so no query can make them wait, and a burst of queries cannot pile up without bound.
public final class QueryExecutor: @unchecked Sendable {
    /// Too many requests already wait; the caller should try again later.
    public struct Busy: Error, CustomStringConvertible {
        public let waiting: Int
        public var description: String {
            "\(waiting) inventory queries are already waiting to run; try again in a moment"
        }
    }

    /// Work running at once, at most.
    public let width: Int
    /// Work waiting for a thread, at most.
    public let queueLimit: Int
    private let lock = NSLock()
    private var running = 0
    private var waiting: [@Sendable () -> Void] = []

    /// Creates an executor; the default width is the number of processors.
    public init(width: Int = ProcessInfo.processInfo.activeProcessorCount, queueLimit: Int = 64) {
        self.width = max(1, width)
        self.queueLimit = max(0, queueLimit)
    }

    /// Runs `work` on a thread of the executor and returns its result; throws `Busy` when the queue is full.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job: @Sendable () -> Void = { continuation.resume(with: Result { try work() }) }
            let accepted: Bool = lock.withLock {
                if running < width {
                    running += 1
                    start(job)
                    return true
                }
                guard waiting.count < queueLimit else { return false }
                waiting.append(job)
                return true
            }
            if !accepted { continuation.resume(throwing: Busy(waiting: queueLimit)) }
        }
    }

    private func start(_ job: @escaping @Sendable () -> Void) {
        // A large stack: evaluation recurses as deep as the query language's limits allow.
        let thread = Thread { [self] in
            job()
            finished()
        }
        thread.stackSize = 16 << 20
        thread.name = "inventory-query"
        thread.start()
    }

    private func finished() {
        lock.withLock {
            if waiting.isEmpty {
                running -= 1
            } else {
                start(waiting.removeFirst())
            }
        }
    }
}
