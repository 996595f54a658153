import Foundation

/// Where the client reads the time and sleeps: the system clock in production, a virtual one in tests so that
/// retries and deadlines run in milliseconds.
public protocol TimeSource: Sendable {
    /// Seconds on a monotonic scale (only differences matter).
    func now() -> Double
    /// The wall-clock date, for request signing and credential expiry.
    func date() -> Date
    /// Suspends for `seconds`; throws `CancellationError` if the task is cancelled.
    func sleep(seconds: Double) async throws
}

/// The real clock.
public struct SystemTimeSource: TimeSource {
    /// Creates the system time source.
    public init() {}

    public func now() -> Double { ProcessInfo.processInfo.systemUptime }

    public func date() -> Date { Date() }

    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return try Task.checkCancellation() }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }
}

/// A clock that moves only when someone sleeps on it: each sleep advances it at once. For tests.
public final class VirtualTimeSource: TimeSource, @unchecked Sendable {
    private let lock = NSLock()
    private var elapsed: Double = 0
    private var sleeps: [Double] = []
    private let start: Date

    /// Creates a virtual clock that starts at `start`.
    public init(start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        self.start = start
    }

    public func now() -> Double { lock.withLock { elapsed } }

    public func date() -> Date { start.addingTimeInterval(now()) }

    public func sleep(seconds: Double) async throws {
        try Task.checkCancellation()
        lock.withLock {
            sleeps.append(seconds)
            elapsed += max(0, seconds)
        }
        await Task.yield()
    }

    /// Moves the clock forward without a sleep (time passing while a request is in flight).
    public func advance(by seconds: Double) {
        lock.withLock { elapsed += seconds }
    }

    /// Every sleep so far, in order.
    public var recordedSleeps: [Double] { lock.withLock { sleeps } }
}
