import AWSSigV4
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The stages of every AWS call, whatever the protocol: for each attempt sign the body (`CallSigner`), send it
/// (`CallTransport`) and read the answer, with `Retrier` deciding whether and when another attempt follows.
struct CallStages: Sendable {
    let endpoint: URL
    let signer: CallSigner
    let transport: CallTransport
    let retrier: Retrier

    /// The stages for `service` at `endpoint`; nil `credentials` sends unsigned requests.
    init(
        service: String, region: AWSRegion, endpoint: URL, credentials: (any CredentialProvider)?, http: HTTPClient,
        policy: RetryPolicy, time: any TimeSource, headers: [(String, String)], trust: EndpointTrust, logger: Logger,
        contentType: String = "application/x-www-form-urlencoded; charset=utf-8"
    ) {
        self.endpoint = endpoint
        signer = CallSigner(
            credentials: credentials.map { CachingCredentialProvider($0, time: time) }, region: region,
            service: service, time: time)
        transport = CallTransport(
            endpoint: endpoint, http: http, tls: trust.tlsConfiguration, headers: headers, time: time, logger: logger,
            contentType: contentType)
        retrier = Retrier(
            policy: policy, budget: RetryBudget(capacity: policy.budgetCapacity), time: time,
            target: endpoint.host ?? "the endpoint", logger: logger)
    }

    /// Sends `payload` with `method` to `url` (the endpoint unless given), with `headers` besides the base ones,
    /// until an attempt's answer is read by `read` without a retryable error, or retrying stops.
    func call<T: Sendable>(
        _ operation: String, _ payload: [UInt8] = [], method: String = "POST", url: URL? = nil,
        headers: [(name: String, value: String)] = [], read: @Sendable (Answer) throws -> T
    ) async throws -> T {
        let base = transport.baseHeaders + headers
        let target = url ?? endpoint
        return try await retrier.run(operation) { timeout in
            let signed = try await signer.headers(for: payload, base: base, url: target, method: method)
            return try read(
                try await transport.send(
                    payload, headers: signed, operation: operation, timeout: timeout, method: method, url: target))
        }
    }
}

/// One attempt's answer: status, headers and body.
struct Answer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
}

/// Signs one attempt's request with SigV4: fresh credentials and a fresh date each time; no credentials, no
/// signature (STS AssumeRoleWithWebIdentity).
struct CallSigner: Sendable {
    let credentials: (any CredentialProvider)?
    let region: AWSRegion
    let service: String
    let time: any TimeSource

    /// `base` plus the signature headers for a `method` request of `payload` to `url`.
    func headers(
        for payload: [UInt8], base: [(name: String, value: String)], url: URL, method: String = "POST"
    ) async throws
        -> [(name: String, value: String)]
    {
        guard let credentials else { return base }
        let signer = SigV4Signer(
            credentials: try await credentials.credentials(), region: region.name, service: service)
        let request = SigV4Signer.Request(method: method, url: url, headers: base, body: payload)
        return base + signer.signatureHeaders(for: request, date: time.date())
    }
}

/// Sends one attempt over HTTP(S) and turns transport failures into `AWSError`s: a timeout, an untrusted
/// certificate (permanent), or a broken connection.
struct CallTransport: Sendable {
    let endpoint: URL
    let http: HTTPClient
    let tls: TLSConfiguration?
    /// Headers every request carries besides the signature.
    let baseHeaders: [(name: String, value: String)]
    let time: any TimeSource
    let logger: Logger

    init(
        endpoint: URL, http: HTTPClient, tls: TLSConfiguration?, headers: [(String, String)], time: any TimeSource,
        logger: Logger, contentType: String = "application/x-www-form-urlencoded; charset=utf-8"
    ) {
        self.endpoint = endpoint
        self.http = http
        self.tls = tls
        baseHeaders = [("Content-Type", contentType)] + headers.map { (name: $0.0, value: $0.1) }
        self.time = time
        self.logger = logger
    }

    /// The answer to one request (a POST of the endpoint unless told); at most 64 MiB of body is read.
    func send(
        _ payload: [UInt8], headers: [(name: String, value: String)], operation: String, timeout: Double,
        method: String = "POST", url: URL? = nil
    )
        async throws -> Answer
    {
        var request = HTTPClientRequest(url: (url ?? endpoint).absoluteString)
        request.method = HTTPMethod(rawValue: method)
        request.tlsConfiguration = tls
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if method != "GET" { request.body = .bytes(ByteBuffer(bytes: payload)) }
        let started = time.now()
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            var buffer = try await response.body.collect(upTo: 64 << 20)
            let status = Int(response.status.code)
            logger.trace(
                "aws call",
                metadata: ["operation": "\(operation)", "status": "\(status)", "seconds": "\(time.now() - started)"])
            return Answer(
                status: status, headers: response.headers, body: buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw AWSError(code: .attemptTimeout, message: "no response within \(timeout)s", operation: operation)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as NIOSSLExtraError where error == .failedToValidateHostname {
            throw AWSError(
                code: .untrustedCertificate,
                message: "the endpoint's certificate is not for \(endpoint.host ?? "its host") (\(error))",
                operation: operation)
        } catch let error as NIOSSLError where "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
            throw AWSError(
                code: .untrustedCertificate, message: "the endpoint's certificate is not trusted (\(error))",
                operation: operation)
        } catch {
            throw AWSError(code: .connectionError, message: "\(error)", operation: operation)
        }
    }
}

/// Runs attempts of one call until one succeeds or retrying stops making sense: a permanent error, the policy's
/// attempt limit, an empty retry budget, or the call's deadline.
struct Retrier: Sendable {
    let policy: RetryPolicy
    let budget: RetryBudget
    let time: any TimeSource
    /// What the calls go to, for messages (`ec2.us-east-1.amazonaws.com`).
    let target: String
    let logger: Logger

    /// Runs `attempt` (given the seconds it may take) until it returns or a retry is not allowed.
    func run<T: Sendable>(_ operation: String, _ attempt: (Double) async throws -> T) async throws -> T {
        let deadline = time.now() + policy.callDeadline
        var number = 1
        while true {
            let remaining = deadline - time.now()
            guard remaining > 0 else {
                throw AWSError(
                    code: .deadlineExceeded,
                    message: "no answer within the call's deadline of \(Int(policy.callDeadline))s",
                    operation: operation)
            }
            do {
                let result = try await attempt(min(policy.attemptTimeout, remaining))
                budget.deposit(1)
                return result
            } catch let error as AWSError {
                guard error.isRetryable, number < policy.maxAttempts else { throw error }
                guard budget.withdraw(policy.cost(of: error)) else {
                    logger.warning("retry budget exhausted", metadata: ["operation": "\(operation)"])
                    throw AWSError(
                        code: .retryBudgetExhausted,
                        message: "not retried: too many recent failures against \(target) "
                            + "(last error \(error.code): \(error.message))",
                        operation: operation, httpStatus: error.httpStatus, requestID: error.requestID)
                }
                let delay = policy.backoff(retry: number, random: policy.jitter())
                if time.now() + delay >= deadline {
                    throw AWSError(
                        code: .deadlineExceeded,
                        message: "gave up after \(number) attempts within the call's deadline of "
                            + "\(Int(policy.callDeadline))s (last error \(error.code): \(error.message))",
                        operation: operation, httpStatus: error.httpStatus, requestID: error.requestID)
                }
                logger.debug(
                    "retrying",
                    metadata: [
                        "operation": "\(operation)", "attempt": "\(number)", "code": "\(error.code)",
                        "delay": "\(delay)",
                    ])
                try await time.sleep(seconds: delay)
                number += 1
            }
        }
    }
}
