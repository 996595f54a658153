import Foundation
import Retries

/// When and how long to wait before another attempt, and a per-client budget that stops retry storms.
///
/// Backoff is exponential with full jitter (`Backoff` with `.full`), as the AWS SDKs wait. The budget works like the
/// AWS SDKs' standard mode: each retry takes tokens (more for timeouts and broken connections), each success
/// gives one back, and an empty bucket means the error is returned at once instead of retried.
public struct RetryPolicy: Sendable {
    /// Attempts per call, the first included.
    public var maxAttempts: Int
    /// The first backoff ceiling, in seconds.
    public var baseDelay: Double
    /// The largest backoff ceiling, in seconds.
    public var maxDelay: Double
    /// How long one attempt may take, in seconds.
    public var attemptTimeout: Double
    /// How long a call may take, all attempts and waits included, in seconds.
    public var callDeadline: Double
    /// The retry budget's size in tokens.
    public var budgetCapacity: Int
    /// Tokens a retry after an ordinary transient error costs.
    public var retryCost: Int
    /// Tokens a retry after a timeout or a broken connection costs.
    public var timeoutRetryCost: Int
    /// Draws the jitter factor in `0...1`; random unless a test pins it.
    public var jitter: @Sendable () -> Double = { Double.random(in: 0...1) }

    /// Creates a policy; the defaults follow the AWS SDKs' standard retry mode, with more attempts.
    public init(
        maxAttempts: Int = 5, baseDelay: Double = 0.2, maxDelay: Double = 20, attemptTimeout: Double = 30,
        callDeadline: Double = 120, budgetCapacity: Int = 500, retryCost: Int = 5, timeoutRetryCost: Int = 10
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.attemptTimeout = attemptTimeout
        self.callDeadline = callDeadline
        self.budgetCapacity = budgetCapacity
        self.retryCost = retryCost
        self.timeoutRetryCost = timeoutRetryCost
    }

    /// The backoff before retry number `retry` (1 for the first retry), drawn with full jitter.
    public func backoff(retry: Int, random: Double) -> Double {
        Backoff(base: baseDelay, cap: maxDelay, jitter: .full).delay(retry: retry, random: random)
    }

    /// The token cost of retrying after `error`.
    public func cost(of error: AWSError) -> Int {
        [AWSErrorCode.connectionError, AWSErrorCode.attemptTimeout].contains(error.code) ? timeoutRetryCost : retryCost
    }
}

/// The shared token bucket of one client; see `RetryPolicy`.
public final class RetryBudget: @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Int
    private var tokens: Int

    /// Creates a full bucket.
    public init(capacity: Int) {
        self.capacity = capacity
        self.tokens = capacity
    }

    /// Takes `cost` tokens if there are enough; false means do not retry.
    public func withdraw(_ cost: Int) -> Bool {
        lock.withLock {
            guard tokens >= cost else { return false }
            tokens -= cost
            return true
        }
    }

    /// Gives tokens back after a success.
    public func deposit(_ amount: Int) {
        lock.withLock { tokens = min(capacity, tokens + amount) }
    }

    /// The tokens left.
    public var available: Int { lock.withLock { tokens } }
}
