/// Polls a call until its result is accepted as success or failure, or the maximum wait passes.
///
/// Acceptors are checked in order; the first that matches decides. A result no acceptor matches is polled
/// again; an error no acceptor matches is thrown as it is. Delays grow from `minDelay` towards `maxDelay` with
/// jitter and never run past `maxWait`.
public struct Waiter<Output: Sendable>: Sendable {
    /// What a matching acceptor means.
    public enum State: Sendable {
        case success, failure, retry
    }

    /// A state paired with a test of the poll's outcome.
    public struct Acceptor: Sendable {
        public var state: State
        public var matches: @Sendable (Result<Output, AWSError>) -> Bool
        /// What the failure means, for the error message.
        public var reason: String

        /// Creates an acceptor.
        public init(
            _ state: State, reason: String = "", matches: @escaping @Sendable (Result<Output, AWSError>) -> Bool
        ) {
            self.state = state
            self.reason = reason
            self.matches = matches
        }

        /// Matches a successful poll whose output passes `test`.
        public static func output(
            _ state: State, reason: String = "", _ test: @escaping @Sendable (Output) -> Bool
        ) -> Acceptor {
            Acceptor(state, reason: reason) { result in
                if case .success(let output) = result { return test(output) }
                return false
            }
        }

        /// Matches a failed poll with this AWS error code.
        public static func errorCode(_ state: State, _ code: String) -> Acceptor {
            Acceptor(state, reason: code) { result in
                if case .failure(let error) = result { return error.code == code }
                return false
            }
        }
    }

    public var name: String
    public var acceptors: [Acceptor]
    public var minDelay: Double
    public var maxDelay: Double
    public var maxWait: Double

    /// Creates a waiter; delays and the maximum wait are in seconds.
    public init(name: String, acceptors: [Acceptor], minDelay: Double = 2, maxDelay: Double = 30, maxWait: Double = 600)
    {
        self.name = name
        self.acceptors = acceptors
        self.minDelay = minDelay
        self.maxDelay = maxDelay
        self.maxWait = maxWait
    }

    /// Polls until an acceptor says success or failure (throws), or time runs out (throws). Success returns the
    /// last output, or nil when an error acceptor declared success (a NotFound that means "deleted").
    @discardableResult
    public func wait(
        time: any TimeSource = SystemTimeSource(), _ poll: () async throws -> Output
    ) async throws
        -> Output?
    {
        let deadline = time.now() + maxWait
        var attempt = 1
        while true {
            let result: Result<Output, AWSError>
            do {
                result = .success(try await poll())
            } catch let error as AWSError {
                result = .failure(error)
            }
            switch acceptors.first(where: { $0.matches(result) }) {
            case let acceptor? where acceptor.state == .success:
                return try? result.get()
            case let acceptor? where acceptor.state == .failure:
                throw AWSError(
                    code: "WaiterFailureState",
                    message: "\(name) reached a failure state\(acceptor.reason.isEmpty ? "" : ": \(acceptor.reason)")",
                    operation: "waiter:\(name)")
            case .some:
                break
            case nil:
                if case .failure(let error) = result { throw error }
            }
            let remaining = deadline - time.now()
            guard remaining > 0 else {
                throw AWSError(
                    code: "WaiterTimedOut", message: "\(name) did not succeed within \(Int(maxWait))s",
                    operation: "waiter:\(name)")
            }
            try await time.sleep(seconds: min(delay(attempt: attempt), remaining))
            attempt += 1
        }
    }

    /// The delay before poll `attempt + 1`: random in `[minDelay, minDelay·2^(attempt-1)]`, at most `maxDelay`.
    func delay(attempt: Int) -> Double {
        let upper = min(maxDelay, minDelay * Double(1 << min(attempt - 1, 30)))
        return upper <= minDelay ? minDelay : Double.random(in: minDelay...upper)
    }
}
