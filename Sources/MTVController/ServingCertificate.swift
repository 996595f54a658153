import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle
import X509

/// The controller's serving certificate, read from PEM files (a mounted Secret: the OpenShift service CA's or
/// cert-manager's) and read again when they change, so a renewed certificate is served from the next handshake
/// on, without a restart.
public final class ServingCertificate: Sendable {
    let certificatePath: String
    let keyPath: String
    private let pair: NIOLockedValueBox<Pair>

    /// A certificate chain and its private key, as last read.
    struct Pair {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        /// The files' bytes, to notice a change.
        var contents: Data
    }

    /// Reads the pair; the error names the file and what is wrong with it.
    public init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        pair = NIOLockedValueBox(try Self.read(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// The server's TLS configuration: every handshake takes the current pair. Client certificates are asked for
    /// and accepted at the TLS layer; the inventory decides per request whether one is the front proxy's.
    public var tlsConfiguration: TLSConfiguration {
        let current = pair.withLockedValue { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: current.chain.map { .certificate($0) }, privateKey: .privateKey(current.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .optionalVerification
        configuration.sslContextCallback = { [pair] _, promise in
            let current = pair.withLockedValue { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = current.chain.map { .certificate($0) }
            override.privateKey = .privateKey(current.key)
            promise.succeed(override)
        }
        return configuration
    }

    /// Accepts any client certificate at the TLS layer (see `tlsConfiguration`).
    public static let acceptPresentedCertificates:
        @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>)
            -> Void = { _, promise in promise.succeed(.certificateVerified) }

    /// Reads the files again; true when a new pair is now served. A pair that does not load (a renewal half
    /// written, a key of another certificate) keeps the old one and throws.
    @discardableResult
    public func reload() throws -> Bool {
        let contents = try Self.contents(certificatePath, keyPath)
        guard contents != pair.withLockedValue({ $0.contents }) else { return false }
        let fresh = try Self.read(certificatePath: certificatePath, keyPath: keyPath)
        pair.withLockedValue { $0 = fresh }
        return true
    }

    /// Reloads every `interval` until cancelled, logging each change and each pair that does not load.
    public func follow(every interval: Duration, logger: Logger) async {
        var lastProblem: String?
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            do {
                if try reload() {
                    logger.info("serving a renewed certificate", metadata: ["file": "\(certificatePath)"])
                }
                lastProblem = nil
            } catch {
                let problem = "\(error)"
                if problem != lastProblem {
                    logger.warning(
                        "the serving certificate did not reload; the previous one is still served",
                        metadata: ["reason": "\(problem)"])
                }
                lastProblem = problem
            }
        }
    }

    private static func contents(_ certificatePath: String, _ keyPath: String) throws -> Data {
        func bytes(_ path: String, _ what: String) throws -> Data {
            do {
                return try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw ServingCertificateError("cannot read the \(what) \(path): \(error.localizedDescription)")
            }
        }
        return try bytes(certificatePath, "serving certificate") + bytes(keyPath, "private key")
    }

    private static func read(certificatePath: String, keyPath: String) throws -> Pair {
        let contents = try contents(certificatePath, keyPath)
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ServingCertificateError("\(certificatePath) holds no PEM certificate: \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw ServingCertificateError("\(keyPath) holds no PEM private key: \(error)")
        }
        guard let leaf = chain.first else { throw ServingCertificateError("\(certificatePath) holds no certificate") }
        // A key in a form swift-certificates does not read (rare: several PEM blocks) is served unchecked.
        let certificate = try Certificate(derEncoded: leaf.toDERBytes())
        let keyText = String(decoding: try Data(contentsOf: URL(fileURLWithPath: keyPath)), as: UTF8.self)
        if let privateKey = try? Certificate.PrivateKey(pemEncoded: keyText),
            certificate.publicKey != privateKey.publicKey
        {
            throw ServingCertificateError(
                "the private key \(keyPath) is not the key of the certificate \(certificatePath)")
        }
        return Pair(chain: chain, key: key, contents: contents)
    }
}

/// Follows the serving certificate's files as a service of the controller's group, until shutdown.
public struct ServingCertificateFollower: Service {
    /// How often the files are read again.
    public static let interval = Duration.seconds(5)
    let certificate: ServingCertificate
    let logger: Logger

    /// Creates the follower.
    public init(certificate: ServingCertificate, logger: Logger) {
        self.certificate = certificate
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await certificate.follow(every: Self.interval, logger: logger) }
    }
}

/// Why the serving certificate cannot be used.
public struct ServingCertificateError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) { self.description = description }
}
