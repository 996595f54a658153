import Foundation
import Testing

/// Polls `condition` every 100 ms until it holds, recording an issue (not throwing) when `seconds` pass first.
public func waitUntil(seconds: Double = 15, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
    Issue.record("condition not met within \(seconds)s")
}

extension Trait where Self == TimeLimitTrait {
    /// The hang guard of a test that starts servers, a controller or the CLI: generous, because at the start of a run
    /// every suite starts its processes at once on a machine with few cores (StartupGate queues them), and a test's
    /// limit includes that wait. Tests never assert times; this only ends a hang.
    public static var integrationTimeLimit: Self { .timeLimit(.minutes(6)) }
}
