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

/// The KMS calls the pipeline makes, over KMS's JSON 1.1 protocol, through the same signing, transport and retry
/// stages as the Query clients.
public struct KMSClient: Sendable {
    public let region: AWSRegion
    public let endpoint: URL
    let signer: QuerySigner
    let transport: QueryTransport
    let retrier: Retrier

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
        signer = QuerySigner(
            credentials: CachingCredentialProvider(credentials, time: time), region: region, service: "kms", time: time)
        transport = QueryTransport(
            endpoint: endpoint, http: http, tls: trust.tlsConfiguration, headers: [], time: time, logger: logger,
            contentType: "application/x-amz-json-1.1")
        retrier = Retrier(
            policy: policy, budget: RetryBudget(capacity: policy.budgetCapacity), time: time,
            target: endpoint.host ?? "the endpoint", logger: logger)
    }

    /// A key by ID, ARN, alias name or alias ARN; another account's key needs its ARN and a key policy that
    /// lets the caller describe it.
    public func describeKey(_ keyID: String) async throws -> KeyMetadata {
        struct Answer: Decodable {
            var metadata: KeyMetadata

            enum CodingKeys: String, CodingKey { case metadata = "KeyMetadata" }
        }
        let answer: Answer = try await call("DescribeKey", ["KeyId": keyID])
        return answer.metadata
    }

    /// Sends one JSON request and decodes the answer; errors become `AWSError`s as in the Query protocol.
    func call<T: Decodable>(_ action: String, _ request: [String: String]) async throws -> T {
        let operation = "kms:\(action)"
        let payload = Array(try JSONEncoder().encode(request))
        let base = transport.baseHeaders + [(name: "X-Amz-Target", value: "TrentService.\(action)")]
        let body = try await retrier.run(operation) { timeout in
            let headers = try await signer.headers(for: payload, base: base, url: endpoint)
            let (status, bytes) = try await transport.send(
                payload, headers: headers, operation: operation, timeout: timeout)
            guard (200..<300).contains(status) else {
                throw Self.decodeError(status: status, body: bytes, operation: operation)
            }
            return bytes
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw AWSError(
                code: .malformedResponse,
                message: "the answer does not fit its shape: \(AWSQueryClient.excerpt(body))", operation: operation)
        }
    }

    /// A JSON error answer (`__type`, `message`) as an `AWSError`; `__type` may carry a namespace before `#`.
    static func decodeError(status: Int, body: [UInt8], operation: String) -> AWSError {
        struct Envelope: Decodable {
            var type: String?
            var message: String?
            /// Some services capitalise it.
            var capitalMessage: String?

            enum CodingKeys: String, CodingKey {
                case type = "__type"
                case message
                case capitalMessage = "Message"
            }
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)), let type = envelope.type
        else {
            return AWSQueryClient.decodeError(status: status, body: body, operation: operation)
        }
        return AWSError(
            code: AWSErrorCode(rawValue: String(type.split(separator: "#").last ?? Substring(type))),
            message: envelope.message ?? envelope.capitalMessage ?? "", operation: operation, httpStatus: status)
    }
}
