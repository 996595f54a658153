import AWSSigV4
import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// The one execute path of every Query-protocol call (EC2, STS): encode the form body, then send it through the
/// call stages (`CallStages`: sign, send, read the answer with `decode`, retry).
///
/// Each attempt is signed anew (fresh date, fresh credentials); the retry loop honours the policy's attempt
/// limit, the client's retry budget and the call's deadline, whichever comes first.
public struct AWSQueryClient: Sendable {
    /// The service's signing name (`ec2`, `sts`).
    public let service: String
    /// The API version sent as `Version`.
    public let apiVersion: String
    public let region: AWSRegion
    public let endpoint: URL
    let stages: CallStages

    /// Creates a client; a nil `credentials` sends unsigned requests (STS AssumeRoleWithWebIdentity); `trust` says
    /// which certificates an HTTPS endpoint may present.
    public init(
        service: String, apiVersion: String, region: AWSRegion, endpoint: URL,
        credentials: (any CredentialProvider)?, http: HTTPClient = .shared, policy: RetryPolicy = RetryPolicy(),
        time: any TimeSource = SystemTimeSource(), headers: [(String, String)] = [], trust: EndpointTrust = .system,
        logger: Logger = Logger(label: "aws")
    ) {
        self.service = service
        self.apiVersion = apiVersion
        self.region = region
        self.endpoint = endpoint
        stages = CallStages(
            service: service, region: region, endpoint: endpoint, credentials: credentials, http: http, policy: policy,
            time: time, headers: headers, trust: trust, logger: logger)
    }

    /// The tokens left in this client's retry budget.
    public var retryBudgetAvailable: Int { stages.retrier.budget.available }

    /// Runs `action` and returns the response document's root element.
    public func execute(_ action: String, _ parameters: QueryParameters = QueryParameters()) async throws -> XMLNode {
        let operation = "\(service):\(action)"
        var body = QueryParameters()
        body.set("Action", action)
        body.set("Version", apiVersion)
        for (name, value) in parameters.pairs { body.set(name, value) }
        let payload = Array(URIEncoding.formBody(body.pairs).utf8)
        return try await stages.call(operation, payload) { answer in
            try Self.decode(status: answer.status, body: answer.body, operation: operation)
        }
    }

    /// Runs `action` and reads the answer with `read`; an answer that does not fit the shape `read` expects is a
    /// `MalformedResponse` error naming the field.
    public func execute<T>(
        _ action: String, _ parameters: QueryParameters = QueryParameters(), read: (XMLNode) throws -> T
    ) async throws -> T {
        let root = try await execute(action, parameters)
        do {
            return try read(root)
        } catch let error as XMLShapeError {
            throw AWSError(
                code: .malformedResponse, message: "the answer does not fit its shape: \(error)",
                operation: "\(service):\(action)")
        }
    }

    /// The answer's root element, or the `AWSError` a non-2xx or unreadable answer means.
    static func decode(status: Int, body: [UInt8], operation: String) throws -> XMLNode {
        guard (200..<300).contains(status) else {
            throw decodeError(status: status, body: body, operation: operation)
        }
        guard let root = XMLNode.parse(body) else {
            throw AWSError(
                code: .malformedResponse, message: "the response is not XML: \(excerpt(body))",
                operation: operation, httpStatus: status)
        }
        return root
    }

    /// Turns an error response into an `AWSError`: the EC2 envelope, the STS/Query envelope, or a non-XML body.
    static func decodeError(status: Int, body: [UInt8], operation: String) -> AWSError {
        if let root = XMLNode.parse(body) {
            let error = root.at("Errors", "Error") ?? root.child("Error")
            if let error, let code = error.string("Code") {
                return AWSError(
                    code: AWSErrorCode(rawValue: code), message: error.string("Message") ?? "", operation: operation,
                    httpStatus: status,
                    requestID: root.string("RequestID") ?? root.string("RequestId"))
            }
        }
        let reason = HTTPResponseStatus(statusCode: status).reasonPhrase
        return AWSError(
            code: AWSErrorCode(rawValue: "HTTP\(status)"), message: "\(reason): \(excerpt(body))", operation: operation,
            httpStatus: status)
    }

    /// The start of a body for an error message, on one line and bounded.
    static func excerpt(_ body: [UInt8], limit: Int = 200) -> String {
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
        return body.count > limit ? text + "…" : (text.isEmpty ? "(empty body)" : text)
    }
}
