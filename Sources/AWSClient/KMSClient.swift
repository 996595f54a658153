import AWSSigV4
import AsyncHTTPClient
import Foundation
import Logging

/// What KMS says about a key.
public struct KeyMetadata: Codable, Sendable, Equatable {
    public var keyID: String
    public var arn: String
    /// `AWS` for a key AWS manages for a service (such as `alias/aws/ebs`), `CUSTOMER` for one the account manages.
    public var keyManager: String?
    public var keyState: String?
    public var enabled: Bool?

    /// Whether AWS manages the key for a service: such a key can never be used by another account.
    public var isAWSManaged: Bool { keyManager == "AWS" }

    enum CodingKeys: String, CodingKey {
        case keyID = "KeyId"
        case arn = "Arn"
        case keyManager = "KeyManager"
        case keyState = "KeyState"
        case enabled = "Enabled"
    }
}

/// The KMS calls the pipeline makes, over KMS's JSON 1.1 protocol, through the same call stages as the Query
/// clients.
public struct KMSClient: Sendable {
    public let region: AWSRegion
    public let endpoint: URL
    let stages: CallStages

    /// Creates a client for `region` (a key ARN's calls go to the key's own region); `endpoint` overrides
    /// `https://kms.<region>.amazonaws.com`.
    public init(
        region: AWSRegion, credentials: any CredentialProvider, endpoint: URL? = nil, http: HTTPClient = .shared,
        policy: RetryPolicy = RetryPolicy(), time: any TimeSource = SystemTimeSource(), trust: EndpointTrust = .system,
        logger: Logger = Logger(label: "aws.kms")
    ) {
        self.region = region
        let endpoint = endpoint ?? region.endpoint(service: "kms")
        self.endpoint = endpoint
        stages = CallStages(
            service: "kms", region: region, endpoint: endpoint, credentials: credentials, http: http, policy: policy,
            time: time, headers: [], trust: trust, logger: logger, contentType: "application/x-amz-json-1.1")
    }

    /// A key by ID, ARN, alias name or alias ARN; another account's key needs its ARN and a key policy that
    /// lets the caller describe it.
    public func describeKey(_ keyID: String) async throws -> KeyMetadata {
        struct Described: Decodable, Sendable {
            var metadata: KeyMetadata

            enum CodingKeys: String, CodingKey { case metadata = "KeyMetadata" }
        }
        let described: Described = try await call("DescribeKey", ["KeyId": keyID])
        return described.metadata
    }

    /// Sends one JSON request and decodes the answer; errors become `AWSError`s as in the Query protocol.
    func call<T: Decodable & Sendable>(_ action: String, _ request: [String: String]) async throws -> T {
        let operation = "kms:\(action)"
        let payload = Array(try JSONEncoder().encode(request))
        return try await stages.call(
            operation, payload, headers: [(name: "X-Amz-Target", value: "TrentService.\(action)")]
        ) { answer in
            try JSONProtocol.decode(T.self, answer, operation: operation)
        }
    }
}
