import Foundation

/// An `mtv-controller` (the debug build) run by a test against the local environment's fake cluster.
public final class ControllerProcess: @unchecked Sendable {
    public let process: ManagedProcess
    /// Where its HTTP endpoints listen.
    public let url: URL
    /// Its log file.
    public let log: String

    /// Starts a controller watching `namespace`, serving HTTPS with the local environment's certificate unless the
    /// extra flags (leader election, identity …) say otherwise.
    public init(
        environment: LocalEnvironment, namespace: String, extraArguments: [String] = [],
        extraEnvironment: [String: String] = [:]
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "ctl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        log = "\(directory)/controller.log"
        let binary = ProcessRunner.repositoryRoot.appending(path: ".build/debug/mtv-controller").path
        let tls = environment.servingCertificate
        let serving =
            extraArguments.contains("--insecure-http") || extraArguments.contains("--tls-cert-file")
            ? [] : ["--tls-cert-file", tls.certificate, "--tls-private-key-file", tls.key]
        process = try ManagedProcess(
            [
                binary, "--kubeconfig", environment.kubeconfig, "--listen", "127.0.0.1:0", "--port-file",
                "\(directory)/port", "--namespace", namespace, "--controller-namespace", namespace,
            ]
                + serving + extraArguments,
            environment: extraEnvironment, log: log)
        let port = try await process.waitForFile("\(directory)/port")
        url = URL(string: "\(extraArguments.contains("--insecure-http") ? "http" : "https")://127.0.0.1:\(port)")!
    }

    /// The controller's log so far.
    public var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
}

/// Runs `kubectl mtv …` (the debug build on PATH) against the local environment's fake cluster.
public enum MTVCLI {
    /// The result of `kubectl mtv arguments…` in `namespace`.
    public static func run(
        _ arguments: [String], namespace: String? = nil, environment: LocalEnvironment,
        extraEnvironment: [String: String] = [:]
    ) async throws -> ProcessRunner.Result {
        let bin = ProcessRunner.repositoryRoot.appending(path: ".build/debug").path
        var variables = environment.variables
        variables["PATH"] = "\(bin):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"
        variables["NO_COLOR"] = "1"
        variables.merge(extraEnvironment) { _, new in new }
        let namespaceFlag = namespace.map { ["-n", $0] } ?? []
        return try await ProcessRunner.run(["kubectl", "mtv"] + arguments + namespaceFlag, environment: variables)
    }
}
