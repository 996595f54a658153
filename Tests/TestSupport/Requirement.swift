import Foundation
import Testing

/// A test dependency that must be present under CI: outside CI a suite without it is skipped (with the reason),
/// under CI each of its tests fails with the reason, while the rest of the run goes on.
public struct Requirement: SuiteTrait, TestTrait {
    /// Whether the dependency is there.
    let isMet: @Sendable () -> Bool
    /// What is missing and how to provide it.
    let reason: String

    public var isRecursive: Bool { true }

    /// Whether tests that need it run: when it is met, and under CI always (so that they fail).
    var runs: Bool { isMet() || ProcessInfo.processInfo.environment["CI"] == "true" }

    public func prepare(for test: Test) async throws {
        guard test.isSuite || isMet() else { throw Missing(reason: reason) }
    }

    /// The failure a test records when the dependency is missing under CI.
    struct Missing: Error, CustomStringConvertible {
        var reason: String
        var description: String { "CI runs need this: \(reason)" }
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips outside CI when `requirement` is not met (under CI the tests run and fail through the requirement).
    public static func skipped(unless requirement: Requirement) -> Self {
        .enabled(if: requirement.runs, Comment(rawValue: requirement.reason))
    }
}

extension Requirement {
    /// The local environment (moto, the EC2 proxy, the fake cluster), as `make test` starts it.
    public static let localEnvironment = Requirement(
        isMet: { LocalEnvironment.current != nil },
        reason: "the local environment: run `make test`, or `scripts/with-devenv swift test`")

    /// The upstream kubectl-mtv binary in ../shared/tools/upstream-kubectl-mtv, and the local environment.
    public static let upstreamTool = Requirement(
        isMet: { UpstreamTool.binary != nil && LocalEnvironment.current != nil },
        reason:
            "../shared/tools/upstream-kubectl-mtv/kubectl-mtv-upstream beside the clone, and the local environment (make test)"
    )
}
