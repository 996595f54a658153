import Foundation

/// AWS's JSON protocols (JSON 1.1 and REST-JSON): answers decoded from JSON, and errors named by the
/// `x-amzn-ErrorType` header or the body's `__type`, with the message in `message` or `Message`.
enum JSONProtocol {
    /// The answer's body as `T`, or the `AWSError` a non-2xx or unreadable answer means.
    static func decode<T: Decodable>(_ type: T.Type, _ answer: Answer, operation: String) throws -> T {
        guard (200..<300).contains(answer.status) else { throw error(answer, operation: operation) }
        do {
            return try JSONDecoder().decode(T.self, from: Data(answer.body))
        } catch {
            throw AWSError(
                code: .malformedResponse,
                message: "the answer does not fit its shape: \(AWSQueryClient.excerpt(answer.body))",
                operation: operation, httpStatus: answer.status)
        }
    }

    /// The error an answer carries: the code without a namespace (`…#Code`) or a suffix (`Code:http://…`).
    static func error(_ answer: Answer, operation: String) -> AWSError {
        struct Envelope: Decodable {
            var type: String?
            var message: String?
            /// REST-JSON services capitalise it.
            var capitalMessage: String?

            enum CodingKeys: String, CodingKey {
                case type = "__type"
                case message
                case capitalMessage = "Message"
            }
        }
        let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(answer.body))
        guard let raw = answer.headers.first(name: "x-amzn-ErrorType") ?? envelope?.type, !raw.isEmpty else {
            return AWSQueryClient.decodeError(status: answer.status, body: answer.body, operation: operation)
        }
        let code = raw.split(separator: ":").first.map(String.init) ?? raw
        return AWSError(
            code: AWSErrorCode(rawValue: String(code.split(separator: "#").last ?? Substring(code))),
            message: envelope?.message ?? envelope?.capitalMessage ?? "", operation: operation,
            httpStatus: answer.status, requestID: answer.headers.first(name: "x-amzn-RequestId"))
    }
}
