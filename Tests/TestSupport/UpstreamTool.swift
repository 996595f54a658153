import Foundation

/// The upstream Go `kubectl-mtv` (as Forklift ships it) in `../shared/tools/upstream-kubectl-mtv/`: a test
/// dependency from `../shared`, like the schemas.
public enum UpstreamTool {
    /// The binary, when it is beside the project.
    public static let binary: String? = {
        let path = ProcessRunner.repositoryRoot.deletingLastPathComponent()
            .appending(path: "shared/tools/upstream-kubectl-mtv/kubectl-mtv-upstream").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()
}
