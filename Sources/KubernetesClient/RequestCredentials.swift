import Foundation

/// The bearer token for the next request: fixed, re-read from a rotating file, or obtained from an exec plugin
/// and kept until it expires.
actor RequestCredentials {
    private let authentication: KubernetesConfiguration.Authentication
    private var cached: (token: String, expires: Date)?

    /// How long a token read from a file is reused before the file is read again.
    static let tokenFileRefresh: TimeInterval = 60

    init(_ authentication: KubernetesConfiguration.Authentication) {
        self.authentication = authentication
    }

    /// The token to send, or nil for no Authorization header.
    func token() async throws -> String? {
        switch authentication {
        case .none, .clientCertificate:
            return nil
        case .bearerToken(let token):
            return token
        case .tokenFile(let path):
            if let cached, cached.expires > Date() { return cached.token }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubernetesConfigurationError("cannot read the token file \(path)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            cached = (token, Date().addingTimeInterval(Self.tokenFileRefresh))
            return token
        case .exec(let exec):
            if let cached, cached.expires > Date().addingTimeInterval(10) { return cached.token }
            let credential = try await ExecCredentialPlugin.run(exec)
            cached = (credential.token, credential.expiration ?? .distantFuture)
            return credential.token
        }
    }
}

/// Runs a `client.authentication.k8s.io` exec plugin and reads the `ExecCredential` it prints.
enum ExecCredentialPlugin {
    struct Credential {
        var token: String
        var expiration: Date?
    }

    /// How long a plugin may run before it is killed, in seconds.
    static let timeout = 60.0
    /// The most of its standard output that is kept (an ExecCredential is a few kilobytes).
    static let outputLimit = 1 << 20

    static func run(_ exec: KubeConfig.ExecConfig) async throws -> Credential {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [exec.command] + (exec.args ?? [])
        var environment = ProcessInfo.processInfo.environment
        for variable in exec.env ?? [] { environment[variable.name] = variable.value }
        let apiVersion = exec.apiVersion ?? "client.authentication.k8s.io/v1"
        environment["KUBERNETES_EXEC_INFO"] =
            #"{"apiVersion":"\#(apiVersion)","kind":"ExecCredential","spec":{"interactive":false}}"#
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw KubernetesConfigurationError("cannot run the credential plugin '\(exec.command)': \(error)")
        }
        // Both pipes are drained at once on threads of their own (a plugin that fills one while we wait on the
        // other would hang), and a plugin that runs too long is killed.
        let started = Date()
        let watchdog = Task {
            try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
            process.terminate()
            try await Task.sleep(nanoseconds: 2_000_000_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        async let stdout = drain(output.fileHandleForReading, keeping: outputLimit, tail: false)
        async let stderr = drain(errors.fileHandleForReading, keeping: 4096, tail: true)
        let (data, errorData) = await (stdout, stderr)
        await withCheckedContinuation { continuation in
            Thread {
                process.waitUntilExit()
                continuation.resume()
            }.start()
        }
        watchdog.cancel()
        let timedOut = process.terminationReason == .uncaughtSignal && Date().timeIntervalSince(started) >= timeout
        let errorText = String(decoding: errorData, as: UTF8.self)
        guard process.terminationStatus == 0, process.terminationReason == .exit else {
            if timedOut {
                throw KubernetesConfigurationError(
                    "the credential plugin '\(exec.command)' did not finish within \(Int(timeout)) s and was stopped")
            }
            let detail = errorText.split(separator: "\n").last.map(String.init) ?? ""
            throw KubernetesConfigurationError(
                "the credential plugin '\(exec.command)' failed with status \(process.terminationStatus): \(detail)")
        }
        struct ExecCredential: Decodable {
            struct Status: Decodable {
                var token: String?
                var expirationTimestamp: String?
            }
            var status: Status?
        }
        guard let decoded = try? JSONDecoder().decode(ExecCredential.self, from: data),
            let token = decoded.status?.token, !token.isEmpty
        else {
            throw KubernetesConfigurationError(
                "the credential plugin '\(exec.command)' did not print an ExecCredential with status.token")
        }
        let expiration = decoded.status?.expirationTimestamp.flatMap { ISO8601DateFormatter().date(from: $0) }
        return Credential(token: token, expiration: expiration)
    }

    /// Reads a pipe to its end on a thread of its own, keeping at most `limit` bytes (the first ones, or with
    /// `tail` the last ones) and discarding the rest.
    private static func drain(_ handle: FileHandle, keeping limit: Int, tail: Bool) async -> Data {
        await withCheckedContinuation { continuation in
            Thread {
                var kept = Data()
                while true {
                    let chunk = PipeReader.next(handle)
                    if chunk.isEmpty { break }
                    if tail {
                        kept.append(chunk)
                        if kept.count > limit { kept = kept.suffix(limit) }
                    } else if kept.count < limit {
                        kept.append(chunk.prefix(limit - kept.count))
                    }
                }
                continuation.resume(returning: kept)
            }.start()
        }
    }
}
