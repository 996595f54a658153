import AWSSigV4
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The one execute path of every Query-protocol call (EC2, STS): encode, sign, send, decode, classify, retry.
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
    let credentials: (any CredentialProvider)?
    let http: HTTPClient
    let policy: RetryPolicy
    let budget: RetryBudget
    let time: any TimeSource
    let headers: [(String, String)]
    let tls: TLSConfiguration?
    let logger: Logger

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
        self.credentials = credentials.map { CachingCredentialProvider($0, time: time) }
        self.http = http
        self.policy = policy
        self.budget = RetryBudget(capacity: policy.budgetCapacity)
        self.time = time
        self.headers = headers
        self.tls = trust.tlsConfiguration
        self.logger = logger
    }

    /// The tokens left in this client's retry budget.
    public var retryBudgetAvailable: Int { budget.available }

    /// Runs `action` and returns the response document's root element.
    public func execute(_ action: String, _ parameters: QueryParameters = QueryParameters()) async throws -> XMLNode {
        let operation = "\(service):\(action)"
        var body = QueryParameters()
        body.set("Action", action)
        body.set("Version", apiVersion)
        for (name, value) in parameters.pairs { body.set(name, value) }
        let payload = Array(URIEncoding.formBody(body.pairs).utf8)

        let deadline = time.now() + policy.callDeadline
        var attempt = 1
        while true {
            let remaining = deadline - time.now()
            guard remaining > 0 else {
                throw AWSError(
                    code: AWSErrorCode.deadlineExceeded,
                    message: "no answer within the call's deadline of \(Int(policy.callDeadline))s",
                    operation: operation)
            }
            do {
                let result = try await attemptOnce(
                    operation: operation, payload: payload, timeout: min(policy.attemptTimeout, remaining))
                budget.deposit(1)
                return result
            } catch let error as AWSError {
                guard error.isRetryable, attempt < policy.maxAttempts else { throw error }
                guard budget.withdraw(policy.cost(of: error)) else {
                    logger.warning("retry budget exhausted", metadata: ["operation": "\(operation)"])
                    throw AWSError(
                        code: AWSErrorCode.retryBudgetExhausted,
                        message: "not retried: too many recent failures against \(endpoint.host ?? "the endpoint") "
                            + "(last error \(error.code): \(error.message))",
                        operation: operation, httpStatus: error.httpStatus, requestID: error.requestID)
                }
                let delay = policy.backoff(retry: attempt, random: policy.jitter())
                if time.now() + delay >= deadline {
                    throw AWSError(
                        code: AWSErrorCode.deadlineExceeded,
                        message: "gave up after \(attempt) attempts within the call's deadline of "
                            + "\(Int(policy.callDeadline))s (last error \(error.code): \(error.message))",
                        operation: operation, httpStatus: error.httpStatus, requestID: error.requestID)
                }
                logger.debug(
                    "retrying",
                    metadata: [
                        "operation": "\(operation)", "attempt": "\(attempt)", "code": "\(error.code)",
                        "delay": "\(delay)",
                    ])
                try await time.sleep(seconds: delay)
                attempt += 1
            }
        }
    }

    private func attemptOnce(operation: String, payload: [UInt8], timeout: Double) async throws -> XMLNode {
        var request = HTTPClientRequest(url: endpoint.absoluteString)
        request.method = .POST
        request.tlsConfiguration = tls
        var requestHeaders: [(name: String, value: String)] = [
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        ]
        requestHeaders += headers.map { (name: $0.0, value: $0.1) }
        if let credentials {
            let signer = SigV4Signer(
                credentials: try await credentials.credentials(), region: region.name, service: service)
            let toSign = SigV4Signer.Request(method: "POST", url: endpoint, headers: requestHeaders, body: payload)
            requestHeaders += signer.signatureHeaders(for: toSign, date: time.date())
        }
        for (name, value) in requestHeaders { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: payload))

        let started = time.now()
        let status: Int
        let bytes: [UInt8]
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            status = Int(response.status.code)
            var buffer = try await response.body.collect(upTo: 64 << 20)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw AWSError(
                code: AWSErrorCode.attemptTimeout, message: "no response within \(timeout)s", operation: operation)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as NIOSSLExtraError where error == .failedToValidateHostname {
            throw AWSError(
                code: AWSErrorCode.untrustedCertificate,
                message: "the endpoint's certificate is not for \(endpoint.host ?? "its host") (\(error))",
                operation: operation)
        } catch let error as NIOSSLError where "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
            throw AWSError(
                code: AWSErrorCode.untrustedCertificate,
                message: "the endpoint's certificate is not trusted (\(error))", operation: operation)
        } catch {
            throw AWSError(code: AWSErrorCode.connectionError, message: "\(error)", operation: operation)
        }
        logger.trace(
            "aws call",
            metadata: ["operation": "\(operation)", "status": "\(status)", "seconds": "\(time.now() - started)"])

        guard (200..<300).contains(status) else {
            throw Self.decodeError(status: status, body: bytes, operation: operation)
        }
        guard let root = XMLNode.parse(bytes) else {
            throw AWSError(
                code: .malformedResponse, message: "the response is not XML: \(Self.excerpt(bytes))",
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
