import Foundation
import NIOSSL

/// How AWS calls trust an HTTPS endpoint's certificate: the system's roots, plus a private CA when one is given
/// (an endpoint behind a TLS-inspecting proxy or a private emulator), or no verification at all when asked to.
public struct EndpointTrust: Sendable, Hashable {
    /// The largest CA bundle accepted, in bytes.
    public static let maximumBundleBytes = 256 * 1024

    /// The private CA certificates trusted besides the system's roots.
    public let certificates: [NIOSSLCertificate]
    /// Whether the endpoint's certificate is not verified at all.
    public let insecureSkipVerify: Bool

    /// The system's roots only.
    public static let system = EndpointTrust()

    private init() {
        certificates = []
        insecureSkipVerify = false
    }

    /// Trust from a PEM bundle (nil or blank: none) and the skip flag; a bundle without a certificate is refused.
    public init(caPEM: String?, insecureSkipVerify: Bool) throws(AWSConfigurationError) {
        let text = caPEM?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard text.utf8.count <= Self.maximumBundleBytes else {
            throw AWSConfigurationError("the CA bundle is larger than \(Self.maximumBundleBytes / 1024) KiB")
        }
        if text.isEmpty {
            certificates = []
        } else {
            do {
                certificates = try NIOSSLCertificate.fromPEMBytes(Array(text.utf8))
            } catch {
                throw AWSConfigurationError("the CA bundle holds no PEM certificate (\(error))")
            }
            guard !certificates.isEmpty else {
                throw AWSConfigurationError("the CA bundle holds no PEM certificate")
            }
        }
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// Whether anything differs from the system's defaults.
    public var isCustom: Bool { insecureSkipVerify || !certificates.isEmpty }

    /// The TLS settings requests carry (nil: the HTTP client's defaults, the system's roots).
    public var tlsConfiguration: TLSConfiguration? {
        guard isCustom else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if insecureSkipVerify {
            configuration.certificateVerification = .none
        } else {
            configuration.additionalTrustRoots = [.certificates(certificates)]
        }
        return configuration
    }
}
