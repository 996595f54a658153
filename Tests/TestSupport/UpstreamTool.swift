import Foundation
import Testing

/// The upstream Go `kubectl-mtv` (as Forklift ships it) in `../shared/tools/upstream-kubectl-mtv/`: a test
/// dependency from `../shared`, like the schemas.
public enum UpstreamTool {
    /// The binary, when it is beside the project.
    public static let binary: String? = {
        let path = ProcessRunner.repositoryRoot.deletingLastPathComponent()
            .appending(path: "shared/tools/upstream-kubectl-mtv/kubectl-mtv-upstream").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    /// Whether its tests can run; under CI a missing binary is a failure, not a skip.
    public static var isAvailable: Bool {
        if binary == nil, ProcessInfo.processInfo.environment["CI"] == "true" {
            fatalError("CI runs need ../shared/tools/upstream-kubectl-mtv/kubectl-mtv-upstream beside the clone")
        }
        return binary != nil && LocalEnvironment.isAvailable
    }

    /// Why its tests were skipped.
    public static let absentReason: Comment =
        "needs ../shared/tools/upstream-kubectl-mtv and the local environment (make test)"
}
