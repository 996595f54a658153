import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A moto of a test's own behind an EC2 proxy of its own (state delays, call counters, faults), seeded with the
/// fixture fleet: migrations stop and change instances, which the shared environment's fleet must not see.
public final class AWSSandbox: @unchecked Sendable {
    public let moto: MotoServer
    private let proxy: ManagedProcess
    /// The proxy's address: what providers and the AWS CLI use.
    public let url: URL
    /// The proxy's control API: faults and call counters.
    public let control: ProxyControl
    /// Fleet instance IDs by Name tag (the unnamed one by its ID).
    public let instances: [String: String]
    /// The PEM file of the private CA that signed the proxy's certificate (nil when it serves plain HTTP).
    public let certificateAuthority: String?

    /// Starts moto and the proxy (`stateDelays` like `stop=1,snapshot=2,volume=1`) and seeds the fleet in `region`,
    /// plus `extra` instances `bench-NNNN` (tag fleet=bench) with two volumes each. With `tls`, the proxy serves
    /// HTTPS with a certificate from a CA of its own, which nothing trusts by default.
    public init(
        stateDelays: String = "stop=0.5,snapshot=1,volume=0.5", extra: Int = 0, tls: Bool = false,
        region: String = "us-east-1"
    ) async throws {
        moto = try await MotoServer()
        let directory = FileManager.default.temporaryDirectory.appending(path: "sandbox-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            certificateAuthority = tls ? try await Self.makeCertificates(in: directory) : nil
            let tlsArguments =
                tls ? ["--tls-cert", "\(directory)/server.crt", "--tls-key", "\(directory)/server.key"] : []
            let upstream = moto.url
            let (proxy, port) = try await StartupGate.shared.admit {
                let proxy = try ManagedProcess(
                    [
                        "scripts/ec2-proxy", "--upstream", upstream.absoluteString, "--port", "0", "--port-file",
                        "\(directory)/port", "--state-delays", stateDelays, "--seed", "1",
                    ] + tlsArguments
                        + (LocalEnvironment.current?.iamUsers.map { ["--credentials", $0] } ?? []),
                    log: "\(directory)/proxy.log")
                return (proxy, try await proxy.waitForFile("\(directory)/port"))
            }
            self.proxy = proxy
            url = URL(string: "\(tls ? "https" : "http")://127.0.0.1:\(port)")!
            control = ProxyControl(base: url.appending(path: "__proxy"))
            let seeded = try await ProcessRunner.run(
                ["scripts/seed-fleet", "--endpoint", url.absoluteString, "--region", region, "--json"]
                    + (extra > 0 ? ["--extra", "\(extra)", "--extra-volumes", "2"] : []),
                environment: certificateAuthority.map { ["AWS_CA_BUNDLE": $0] } ?? [:])
            guard seeded.status == 0, let data = seeded.stdout.data(using: .utf8),
                let fleet = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let found = fleet["instances"] as? [String: [String: Any]]
            else {
                throw ControlAPIError(status: 0, body: "seed-fleet failed: \(seeded.stderr)", url: url)
            }
            instances = found.compactMapValues { $0["id"] as? String }
        } catch {
            moto.stop()
            throw error
        }
    }

    /// Stops the proxy and moto by their PIDs.
    public func stop() {
        proxy.stop(signal: SIGINT)
        moto.stop()
    }

    /// The AWS CLI's `service` commands (EC2 unless told) against this sandbox.
    public func aws(
        _ arguments: [String], service: String = "ec2", environment: [String: String]
    ) async throws -> ProcessRunner.Result {
        var environment = environment
        environment["AWS_ENDPOINT_URL"] = url.absoluteString
        if let certificateAuthority { environment["AWS_CA_BUNDLE"] = certificateAuthority }
        return try await ProcessRunner.run(["aws", service] + arguments, environment: environment)
    }

    /// A CA and a server certificate for 127.0.0.1 signed by it (`ca.crt`, `server.crt`, `server.key` in
    /// `directory`); returns the CA's path.
    private static func makeCertificates(in directory: String) async throws -> String {
        let (ca, caKey) = ("\(directory)/ca.crt", "\(directory)/ca.key")
        let (crt, key, csr) = ("\(directory)/server.crt", "\(directory)/server.key", "\(directory)/server.csr")
        let extensions = "\(directory)/san.ext"
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        for command in [
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "2",
                "-subj", "/CN=sandbox-aws-ca",
            ],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
            [
                "openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", crt,
                "-days", "2", "-extfile", extensions,
            ],
        ] {
            let result = try await ProcessRunner.run(command)
            guard result.status == 0 else {
                throw ControlAPIError(
                    status: 0, body: "openssl failed: \(result.stderr)", url: URL(fileURLWithPath: directory))
            }
        }
        return ca
    }
}
