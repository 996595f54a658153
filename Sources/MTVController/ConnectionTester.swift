import AWSClient
import AWSSigV4
import EC2Provider
import Foundation
import Logging

/// Tests an EC2 provider's credentials: STS GetCallerIdentity and one cheap EC2 Describe, with the source and,
/// when they differ in credentials or region, the target credentials in the target region, where `target-az` must
/// exist. Bounded so a provider's status changes within seconds.
public struct ConnectionTester: Sendable {
    /// The accounts the credentials belong to.
    public struct Accounts: Sendable, Equatable {
        public var source: String
        public var target: String
    }

    /// Why the test failed, in terms a person can act on.
    public struct Failure: Error, Sendable, Equatable {
        public var code: String
        public var message: String
        public var suggestion: String?
        /// Whether trying again soon may help (throttling, a network problem).
        public var transient: Bool
    }

    let config: EC2ProviderConfig
    let logger: Logger
    /// Retries for a test: quick, so a wrong secret shows within seconds.
    static let policy = RetryPolicy(maxAttempts: 3, baseDelay: 0.2, maxDelay: 2, attemptTimeout: 10, callDeadline: 20)

    /// Creates a tester.
    public init(config: EC2ProviderConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Runs the test.
    public func test() async -> Result<Accounts, Failure> {
        do {
            let separate = config.hasSeparateTarget || config.isCrossRegion
            let source = try await identify(
                config.source, region: config.region, endpoint: config.endpoint,
                zone: separate ? nil : config.targetAZ, role: "source")
            let target =
                separate
                ? try await identify(
                    config.target ?? config.source, region: config.targetRegion, endpoint: config.targetEndpoint,
                    zone: config.targetAZ, role: "target") : source
            if let key = config.targetKMSKey { try await checkTargetKey(key) }
            return .success(Accounts(source: source, target: target))
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(code: "ConnectionTestFailed", message: "\(error)", transient: true))
        }
    }

    private func identify(
        _ credentials: AWSCredentials?, region: AWSRegion, endpoint: URL, zone: String?, role: String
    ) async throws -> String {
        let provider: any CredentialProvider =
            credentials.map { StaticCredentialProvider($0) } ?? CredentialChain.standard(region: region)
        let sts = STSClient(
            region: region, credentials: provider, endpoint: config.stsEndpoint, policy: Self.policy,
            trust: config.trust, logger: logger)
        let ec2 = EC2Client(
            region: region, credentials: provider, endpoint: endpoint, policy: Self.policy, trust: config.trust,
            logger: logger)
        do {
            let identity = try await sts.getCallerIdentity()
            let zones = try await ec2.describeAvailabilityZones()
            if let zone, !zones.contains(where: { $0.zoneName == zone }) {
                throw Failure(
                    code: "TargetZoneNotFound",
                    message: "target-az \(zone) is not a zone of \(region.name) (its zones: "
                        + "\(zones.map(\.zoneName).sorted().joined(separator: ", ")))",
                    suggestion: "set the provider's target-az to the zone of the cluster's worker nodes",
                    transient: false)
            }
            return identity.account
        } catch let error as AWSError {
            throw Failure(
                code: error.code.rawValue, message: "\(role) credentials: \(error.description)",
                suggestion: Self.suggestion(for: error, role: role), transient: error.isRetryable)
        } catch let error as AWSConfigurationError {
            throw Failure(
                code: "CredentialsNotFound", message: "\(role) credentials: \(error.message)",
                suggestion: "put accessKeyId and secretAccessKey in the provider Secret", transient: false)
        }
    }

    /// The `target-kms-key` must be a key the target account may use in the target region.
    private func checkTargetKey(_ key: String) async throws {
        let kms = config.kmsClient(target: true, region: config.targetRegion, policy: Self.policy, logger: logger)
        do {
            let found = try await kms.describeKey(key)
            guard found.enabled != false else {
                throw Failure(
                    code: "TargetKMSKeyNotUsable", message: "target-kms-key \(key) is \(found.keyState ?? "disabled")",
                    suggestion: "enable the key, or set target-kms-key to an enabled key", transient: false)
            }
        } catch let error as AWSError {
            throw Failure(
                code: error.isRetryable ? error.code.rawValue : "TargetKMSKeyNotUsable",
                message: "target-kms-key \(key) in \(config.targetRegion.name): \(error.description)",
                suggestion: error.isRetryable
                    ? "AWS could not be reached; the test is repeated shortly"
                    : "set target-kms-key to a key of the target region that the target credentials may use "
                        + "(kms:DescribeKey, kms:CreateGrant, kms:Encrypt, kms:GenerateDataKey*)",
                transient: error.isRetryable)
        }
    }

    static func suggestion(for error: AWSError, role: String) -> String? {
        let keys = role == "source" ? "accessKeyId/secretAccessKey" : "targetAccessKeyId/targetSecretAccessKey"
        switch error.code {
        case .authFailure, "SignatureDoesNotMatch", "InvalidClientTokenId", "IncompleteSignature":
            return "check \(keys) in the provider Secret"
        case "UnauthorizedOperation", "AccessDenied":
            return "grant the \(role) IAM identity sts:GetCallerIdentity and ec2:Describe*"
        case "ExpiredToken", "RequestExpired":
            return "the session token expired; put fresh credentials in the provider Secret"
        case AWSErrorCode.untrustedCertificate:
            return "put the PEM of the CA that signed the endpoint's certificate in the provider Secret's ca.crt "
                + "(create provider --cacert @ca.pem), or set insecureSkipVerify: \"true\" for a test endpoint"
        default:
            return error.isRetryable ? "AWS could not be reached; the test is repeated shortly" : nil
        }
    }
}
