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
    func token() throws -> String? {
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
            let credential = try ExecCredentialPlugin.run(exec)
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

    static func run(_ exec: KubeConfig.ExecConfig) throws -> Credential {
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
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
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
}
