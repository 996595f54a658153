import Foundation

/// Exponential backoff with jitter, the one rule every retry loop waits by (AWS calls, Kubernetes requests,
/// watches, informers and the controller's work queue).
///
/// The ceiling before retry `n` (1 for the first) is `min(cap, base·2^(n-1))`; the wait is drawn below it:
/// anywhere from zero with `.full` jitter (what the AWS SDKs do, to spread a crowd of clients), or from the upper
/// half with `.equal` jitter (a retry never comes much sooner than the ceiling says).
public struct Backoff: Sendable, Equatable {
    /// How the wait is drawn below the ceiling.
    public enum Jitter: Sendable, Equatable {
        /// Anywhere in `0...ceiling`.
        case full
        /// Anywhere in `ceiling/2...ceiling`.
        case equal
    }

    /// The first ceiling, in seconds.
    public var base: Double
    /// The largest ceiling, in seconds.
    public var cap: Double
    /// How the wait is drawn below the ceiling.
    public var jitter: Jitter

    /// Creates a backoff.
    public init(base: Double, cap: Double, jitter: Jitter = .equal) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The ceiling before retry number `retry`, in seconds (0 for `retry` 0).
    public func ceiling(retry: Int) -> Double {
        guard retry > 0 else { return 0 }
        return min(cap, base * pow(2, Double(min(retry - 1, 62))))
    }

    /// The wait before retry number `retry`, in seconds, for a `random` draw in `0...1`.
    public func delay(retry: Int, random: Double = Double.random(in: 0...1)) -> Double {
        let draw = min(max(random, 0), 1)
        switch jitter {
        case .full: return ceiling(retry: retry) * draw
        case .equal: return ceiling(retry: retry) * (0.5 + draw / 2)
        }
    }

    /// Sleeps before retry number `retry`; throws `CancellationError` when the task is cancelled.
    public func sleep(retry: Int) async throws {
        try await Task.sleep(nanoseconds: UInt64(delay(retry: retry) * 1e9))
    }
}
