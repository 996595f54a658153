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
