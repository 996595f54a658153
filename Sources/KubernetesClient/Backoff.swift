import Foundation

/// Exponential backoff with jitter: the wait before retry `n` (1 for the first) is drawn from the upper half of
/// `min(cap, base·2^(n-1))`, so retries spread out without ever waiting much less than the ceiling.
public struct Backoff: Sendable {
    /// The first ceiling, in seconds.
    public var base: Double
    /// The largest ceiling, in seconds.
    public var cap: Double

    /// Creates a backoff.
    public init(base: Double, cap: Double) {
        self.base = base
        self.cap = cap
    }

    /// The wait before retry number `retry`, in seconds (0 for `retry` 0).
    public func delay(retry: Int) -> Double {
        guard retry > 0 else { return 0 }
        let ceiling = min(cap, base * pow(2, Double(min(retry - 1, 62))))
        return ceiling * Double.random(in: 0.5...1)
    }

    /// Sleeps before retry number `retry`; throws `CancellationError` when the task is cancelled.
    public func sleep(retry: Int) async throws {
        try await Task.sleep(nanoseconds: UInt64(delay(retry: retry) * 1e9))
    }
}
