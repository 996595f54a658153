import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// Each way of authenticating that the fake cluster supports, against its HTTPS endpoint and the devenv CA.
@Suite(
    "Authentication against the fake cluster",
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct AuthenticationTests {
    let environment = LocalEnvironment.current!

    var base: KubernetesConfiguration {
        get throws { try KubernetesConfiguration.load(kubeconfig: environment.kubeconfig, environment: [:]) }
    }

    /// Lists namespaces with `authentication`; returns the error, if any.
    func attempt(_ authentication: KubernetesConfiguration.Authentication) async throws -> KubernetesError? {
        var configuration = try base
        configuration.authentication = authentication
        let client = try KubernetesClient(configuration: configuration, maxAttempts: 1)
        defer { Task { try? await client.shutdown() } }
        do {
            _ = try await client.list(ResourceType.namespaces)
            return nil
        } catch let error as KubernetesError {
            return error
        }
    }

    func adminToken() throws -> String {
        guard case .bearerToken(let token) = try base.authentication else {
            throw KubernetesConfigurationError("no token")
        }
        return token
    }

    @Test("the kubeconfig's bearer token works over verified TLS")
    func bearerToken() async throws {
        #expect(try await attempt(.bearerToken(adminToken())) == nil)
    }

    @Test("no credentials get 401 Unauthorized; a user without rights gets 403 Forbidden")
    func unauthenticatedAndForbidden() async throws {
        #expect(try await attempt(.none)?.isUnauthorized == true)
        #expect(try await attempt(.bearerToken("not-a-token"))?.isUnauthorized == true)
        let forbidden = try await attempt(.bearerToken(environment.variables["FAKE_KUBE_NOBODY_TOKEN"]!))
        #expect(forbidden?.isForbidden == true)
        #expect(forbidden?.message.contains("nobody") == true)
    }

    @Test("a token file is read for the token")
    func tokenFile() async throws {
        let path = FileManager.default.temporaryDirectory.appending(path: "token-\(UUID().uuidString)").path
        try "\(adminToken())\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try await attempt(.tokenFile(path)) == nil)
    }

    @Test("a client certificate signed by the cluster's CA authenticates")
    func clientCertificate() async throws {
        let certificate = try Data(contentsOf: URL(fileURLWithPath: environment.variables["FAKE_KUBE_CLIENT_CERT"]!))
        let key = try Data(contentsOf: URL(fileURLWithPath: environment.variables["FAKE_KUBE_CLIENT_KEY"]!))
        #expect(try await attempt(.clientCertificate(certificate: Array(certificate), key: Array(key))) == nil)
    }

    @Test("an exec plugin's token is used and cached until it expires")
    func execPlugin() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "exec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = "\(directory)/plugin.sh"
        try """
        #!/bin/sh
        echo run >> "\(directory)/calls"
        printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}' "$TOKEN"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        var configuration = try base
        configuration.authentication = .exec(
            KubeConfig.ExecConfig(command: script, env: [.init(name: "TOKEN", value: try adminToken())]))
        let client = try KubernetesClient(configuration: configuration, maxAttempts: 1)
        _ = try await client.list(ResourceType.namespaces)
        _ = try await client.list(ResourceType.nodes)
        try await client.shutdown()
        let calls = try String(contentsOfFile: "\(directory)/calls", encoding: .utf8)
        #expect(calls.split(separator: "\n").count == 1)
    }

    @Test("an exec plugin that writes 1 MiB to stderr before its credential does not hang the client")
    func chattyPlugin() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "exec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = "\(directory)/plugin.sh"
        try """
        #!/bin/sh
        head -c 1048576 /dev/zero | tr '\\0' 'x' >&2
        printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$TOKEN"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        var configuration = try base
        configuration.authentication = .exec(
            KubeConfig.ExecConfig(command: script, env: [.init(name: "TOKEN", value: try adminToken())]))
        let client = try KubernetesClient(configuration: configuration, maxAttempts: 1)
        #expect(try await client.list(ResourceType.namespaces).items.isEmpty == false)
        try await client.shutdown()
    }

    @Test("a failing exec plugin is a configuration error that names the plugin")
    func failingPlugin() async throws {
        var configuration = try base
        configuration.authentication = .exec(KubeConfig.ExecConfig(command: "/bin/false"))
        let client = try KubernetesClient(configuration: configuration, maxAttempts: 1)
        let error = await #expect(throws: KubernetesConfigurationError.self) {
            try await client.list(ResourceType.namespaces)
        }
        #expect(error?.message.contains("/bin/false") == true)
        try await client.shutdown()
    }

    @Test("TLS is verified: a client without the cluster's CA refuses the connection")
    func tlsVerified() async throws {
        var untrusting = try base
        untrusting.certificateAuthority = nil
        let client = try KubernetesClient(configuration: untrusting, maxAttempts: 1)
        let failure = await #expect(throws: KubernetesError.self) { try await client.list(ResourceType.namespaces) }
        #expect(failure?.reason == KubernetesError.Reason.tls, "a certificate problem is named and not retried")
        try await client.shutdown()
    }
}
