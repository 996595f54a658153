import AWSClient
import ArgumentParser
import EC2Provider
import Foundation

/// The EC2 flags `create provider` and `patch provider` share, with the checks that need no cluster.
struct EC2ProviderOptions: ParsableArguments {
    @Option(help: "The source AWS region, e.g. us-east-1.")
    var ec2Region: String?

    @Option(name: [.customShort("U"), .long], help: "The EC2 endpoint URL (default: from the region).")
    var url: String?

    @Option(name: [.short, .long], help: "The AWS access key ID.")
    var username: String?

    @Option(name: [.short, .long], help: "The AWS secret access key.")
    var password: String?

    @Option(help: "The access key ID of the target account, when it differs from the source.")
    var targetAccessKeyId: String?

    @Option(help: "The secret access key of the target account.")
    var targetSecretAccessKey: String?

    @Option(help: "The region of the cluster's EBS volumes (default: from --target-az or --ec2-region).")
    var targetRegion: String?

    @Option(help: "The availability zone new volumes go to (default: the worker nodes' zone).")
    var targetAz: String?

    @Option(
        help:
            "The KMS key (ID, ARN or alias/NAME) new volumes are encrypted with (default: the snapshots' own key); \"\" removes it."
    )
    var targetKmsKey: String?

    @Option(
        help:
            "The PEM of a private CA that signed the endpoint's certificate (trusted besides the system's); @FILE reads a file."
    )
    var cacert: String?

    @Flag(inversion: .prefixedNo, help: "Do not verify the endpoint's certificate (test endpoints only).")
    var providerInsecureSkipTls: Bool?

    /// The CA bundle `--cacert` gives (its text, or the file after `@`), checked; nil without the flag.
    func caBundle() throws -> String? {
        guard let cacert else { return nil }
        var text = cacert
        if cacert.hasPrefix("@") {
            let path = String(cacert.dropFirst())
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ProviderMessages.unreadableCABundle(path)
            }
            defer { try? handle.close() }
            let data = try handle.read(upToCount: EndpointTrust.maximumBundleBytes + 1) ?? Data()
            text = String(decoding: data, as: UTF8.self)
        }
        do { _ = try EndpointTrust(caPEM: text, insecureSkipVerify: false) } catch {
            throw CommonMessages.invalidValue("--cacert", error.message)
        }
        return text
    }

    /// The Secret keys the TLS flags set (`ca.crt`, `insecureSkipVerify`), as upstream names them.
    func tlsSecretValues() throws -> [String: String] {
        var values: [String: String] = [:]
        if let bundle = try caBundle() { values["ca.crt"] = bundle }
        if let providerInsecureSkipTls { values["insecureSkipVerify"] = providerInsecureSkipTls ? "true" : "false" }
        return values
    }

    func validate() throws {
        if (username == nil) != (password == nil) {
            throw ProviderMessages.keysGoTogether("--username", "--password")
        }
        if (targetAccessKeyId == nil) != (targetSecretAccessKey == nil) {
            throw ProviderMessages.keysGoTogether("--target-access-key-id", "--target-secret-access-key")
        }
        for (flag, value) in [("--ec2-region", ec2Region), ("--target-region", targetRegion)] {
            if let value {
                do { _ = try AWSRegion(value) } catch { throw CommonMessages.invalidValue(flag, error.message) }
            }
        }
        if let url {
            do { _ = try AWSEndpoint.validated(url, source: "--url") } catch {
                throw CommonMessages.invalidInput(error.message)
            }
        }
        if let targetKmsKey, !targetKmsKey.isEmpty, !EC2ProviderConfig.isKMSKeyReference(targetKmsKey) {
            throw CommonMessages.invalidValue(
                "--target-kms-key", "'\(targetKmsKey)' is not a KMS key ID, key ARN, alias/NAME or alias ARN")
        }
        _ = try caBundle()
    }

    /// Refuses TLS settings for an endpoint that does not use TLS.
    func checkTLS(endpoint: URL) throws {
        let custom = !(cacert ?? "").isEmpty || providerInsecureSkipTls == true
        if custom, endpoint.scheme != "https" {
            throw ProviderMessages.tlsNeedsHTTPS(endpoint.absoluteString)
        }
    }
}
