import AWSClient
import AWSSigV4
import Foundation
import Logging
import MTVAPI

/// The AWS side of an EC2 provider, resolved from its Secret and settings: region, endpoints, and the source
/// and target credentials (nil source credentials mean the controller's own AWS credential chain).
public struct EC2ProviderConfig: Sendable, Equatable {
    public var region: AWSRegion
    public var endpoint: URL
    public var stsEndpoint: URL
    public var source: AWSCredentials?
    public var target: AWSCredentials?
    public var targetRegion: AWSRegion
    /// Where the target region's EC2 calls go: the source's endpoint, or the target region's own AWS endpoint.
    public var targetEndpoint: URL
    public var targetAZ: String?
    /// The `target-kms-key` setting: the KMS key (ARN or alias) new snapshot copies and volumes are encrypted with.
    public var targetKMSKey: String?
    /// Which certificates the endpoints may present (the Secret's `ca.crt` and `insecureSkipVerify`).
    public var trust: EndpointTrust = .system

    /// Whether the target account's credentials differ from the source's.
    public var hasSeparateTarget: Bool { target != nil && target != source }

    /// Whether volumes are made in another region than the instances' (snapshots are copied there first).
    public var isCrossRegion: Bool { targetRegion != region }

    /// The provider settings this controller carries out; any other is refused.
    public static let settingNames: Set<String> = ["target-region", "target-az", "target-kms-key"]

    /// Reads and checks the Secret; every problem becomes a `ProviderValidationError` a person can act on.
    public static func resolve(provider: Provider, secret: Secret) throws(ProviderValidationError) -> EC2ProviderConfig
    {
        let secretName = "\(secret.metadata.namespace ?? "")/\(secret.metadata.name ?? "")"
        guard let regionName = secret.value("region"), !regionName.isEmpty else {
            throw ProviderValidationError(
                reason: "MissingRegion", message: "secret \(secretName) has no 'region' key; add the AWS region")
        }
        let region: AWSRegion
        do { region = try AWSRegion(regionName) } catch {
            throw ProviderValidationError(reason: "InvalidRegion", message: "secret \(secretName): \(error.message)")
        }
        let source = try pair(secret, "accessKeyId", "secretAccessKey", "sessionToken", name: secretName)
        let target = try pair(secret, "targetAccessKeyId", "targetSecretAccessKey", nil, name: secretName)

        let urlText = secret.value("url").flatMap { $0.isEmpty ? nil : $0 } ?? provider.spec.url
        let endpoint: URL
        do {
            endpoint = try AWSEndpoint.resolve(service: "ec2", region: region, explicit: urlText)
        } catch {
            throw ProviderValidationError(reason: "InvalidURL", message: error.message)
        }
        let settings = provider.spec.settings ?? [:]
        let unknown = settings.keys.filter { !settingNames.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ProviderValidationError(
                reason: "SettingNotSupported",
                message: "settings \(unknown.joined(separator: ", ")) are not EC2 provider settings; remove them "
                    + "(the settings are \(settingNames.sorted().joined(separator: ", ")))")
        }
        var targetRegion = region
        if let name = settings["target-region"], !name.isEmpty {
            do { targetRegion = try AWSRegion(name) } catch {
                throw ProviderValidationError(
                    reason: "InvalidTargetRegion", message: "settings.target-region: \(error.message)")
            }
        }
        let targetAZ = settings["target-az"].flatMap { $0.isEmpty ? nil : $0 }
        if let targetAZ, !targetAZ.hasPrefix(targetRegion.name) || targetAZ.count != targetRegion.name.count + 1 {
            throw ProviderValidationError(
                reason: "InvalidTargetAZ",
                message: "settings.target-az '\(targetAZ)' is not a zone of the target region \(targetRegion.name)")
        }
        let targetKMSKey = settings["target-kms-key"].flatMap { $0.isEmpty ? nil : $0 }
        if let targetKMSKey, !isKMSKeyReference(targetKMSKey) {
            throw ProviderValidationError(
                reason: "InvalidTargetKMSKey",
                message: "settings.target-kms-key '\(targetKMSKey)' is not a KMS key ID, key ARN, alias/NAME or "
                    + "alias ARN")
        }
        return EC2ProviderConfig(
            region: region, endpoint: endpoint, stsEndpoint: stsEndpoint(for: endpoint, region: region),
            source: source, target: target, targetRegion: targetRegion,
            targetEndpoint: regionalEndpoint(endpoint, from: region, to: targetRegion), targetAZ: targetAZ,
            targetKMSKey: targetKMSKey, trust: try trust(secret, endpoint: endpoint, name: secretName))
    }

    /// The Secret's TLS keys as upstream writes them: `ca.crt` (PEM; the legacy `cacert` too) and
    /// `insecureSkipVerify` ("true" or "false"). They only make sense for an https endpoint.
    static func trust(_ secret: Secret, endpoint: URL, name: String) throws(ProviderValidationError) -> EndpointTrust {
        let flag = secret.value("insecureSkipVerify")?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard ["", "true", "false"].contains(flag) else {
            throw ProviderValidationError(
                reason: "InvalidInsecureSkipVerify",
                message: "secret \(name): insecureSkipVerify must be \"true\" or \"false\"")
        }
        let pem = secret.value("ca.crt").flatMap { $0.isEmpty ? nil : $0 } ?? secret.value("cacert")
        let trust: EndpointTrust
        do { trust = try EndpointTrust(caPEM: pem, insecureSkipVerify: flag == "true") } catch {
            throw ProviderValidationError(
                reason: "InvalidCACertificate",
                message:
                    "secret \(name): ca.crt: \(error.message); put the PEM of the CA that signed the endpoint's certificate there"
            )
        }
        if trust.isCustom, endpoint.scheme != "https" {
            throw ProviderValidationError(
                reason: "TLSSettingsWithoutTLS",
                message:
                    "secret \(name) sets ca.crt or insecureSkipVerify, but the endpoint \(endpoint.absoluteString) is not https; "
                    + "remove them or use an https URL")
        }
        return trust
    }

    /// An EC2 client with the source credentials (or the controller's own chain).
    public func sourceClient(logger: Logger = Logger(label: "aws.ec2")) -> EC2Client {
        EC2Client(region: region, credentials: sourceCredentials, endpoint: endpoint, trust: trust, logger: logger)
    }

    /// An EC2 client in the target region with the target credentials (the source's when the target has none).
    public func targetClient(logger: Logger = Logger(label: "aws.ec2")) -> EC2Client {
        guard target != nil || isCrossRegion else { return sourceClient(logger: logger) }
        return EC2Client(
            region: targetRegion, credentials: targetCredentials, endpoint: targetEndpoint, trust: trust,
            logger: logger)
    }

    /// A KMS client in `region` with the source or the target credentials.
    public func kmsClient(
        target useTarget: Bool, region: AWSRegion, policy: RetryPolicy = RetryPolicy(),
        logger: Logger = Logger(label: "aws.kms")
    ) -> KMSClient {
        KMSClient(
            region: region, credentials: useTarget ? targetCredentials : sourceCredentials,
            endpoint: Self.serviceEndpoint("kms", beside: endpoint, region: region), policy: policy, trust: trust,
            logger: logger)
    }

    /// The source credentials, or the controller's own chain.
    var sourceCredentials: any CredentialProvider {
        source.map { StaticCredentialProvider($0) } ?? CredentialChain.standard(region: region)
    }

    /// The target credentials, or the source's.
    var targetCredentials: any CredentialProvider {
        target.map { StaticCredentialProvider($0) } ?? sourceCredentials
    }

    /// Whether text names a KMS key as `KmsKeyId` accepts it: a key ID, a key or alias ARN, or `alias/NAME`.
    public static func isKMSKeyReference(_ text: String) -> Bool {
        guard text.count <= 2048, !text.contains(where: \.isWhitespace) else { return false }
        if text.hasPrefix("arn:aws") { return text.split(separator: ":", omittingEmptySubsequences: false).count == 6 }
        if text.hasPrefix("alias/") { return text.count > 6 }
        return text.allSatisfy { $0.isHexDigit || $0 == "-" } || text.hasPrefix("mrk-")
    }

    /// The endpoint of the target region: an AWS regional endpoint of the source region becomes the target
    /// region's; any other (an emulator, a proxy) serves every region.
    static func regionalEndpoint(_ endpoint: URL, from region: AWSRegion, to target: AWSRegion) -> URL {
        guard target != region, endpoint.host == region.endpoint(service: "ec2").host else { return endpoint }
        return target.endpoint(service: "ec2")
    }

    /// STS lives beside a custom endpoint (an emulator or a proxy serves every service), else in the region.
    static func stsEndpoint(for endpoint: URL, region: AWSRegion) -> URL {
        serviceEndpoint("sts", beside: endpoint, region: region)
    }

    /// A service's endpoint: the custom endpoint itself (an emulator or a proxy serves every service), else the
    /// service's endpoint in `region`.
    static func serviceEndpoint(_ service: String, beside endpoint: URL, region: AWSRegion) -> URL {
        let host = endpoint.host ?? ""
        if host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn") {
            return region.endpoint(service: service)
        }
        return endpoint
    }

    private static func pair(
        _ secret: Secret, _ keyName: String, _ secretName: String, _ tokenName: String?,
        name: String
    ) throws(ProviderValidationError) -> AWSCredentials? {
        let key = secret.value(keyName).flatMap { $0.isEmpty ? nil : $0 }
        let value = secret.value(secretName).flatMap { $0.isEmpty ? nil : $0 }
        switch (key, value) {
        case (let key?, let value?):
            return AWSCredentials(
                accessKeyID: key, secretAccessKey: value,
                sessionToken: tokenName.flatMap { secret.value($0) }.flatMap { $0.isEmpty ? nil : $0 })
        case (nil, nil):
            return nil
        default:
            throw ProviderValidationError(
                reason: "IncompleteKeyPair",
                message: "secret \(name) has only one of '\(keyName)' and '\(secretName)'; set both or neither")
        }
    }
}

/// Why a provider's configuration cannot be used; `reason` becomes the condition's reason.
public struct ProviderValidationError: Error, Sendable, Equatable {
    public var reason: String
    public var message: String
}
