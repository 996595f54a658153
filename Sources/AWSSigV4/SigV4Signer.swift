import Crypto
import Foundation

/// Signs HTTP requests with AWS Signature Version 4.
///
/// The signer is a pure function of its inputs (credentials, scope, request, date), so a fixed date gives
/// known-answer tests. Query-protocol services (EC2, STS) send their parameters in a form-encoded POST body,
/// so the canonical query string is usually empty and the payload hash covers the parameters.
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    /// Creates a signer for one credential scope.
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// A request as the signer sees it.
    public struct Request: Sendable {
        public var method: String
        public var url: URL
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        /// Creates a request description for signing.
        public init(method: String, url: URL, headers: [(name: String, value: String)], body: [UInt8]) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
        }
    }

    /// The headers to add to `request`, `Authorization` last; nothing in `request` changes.
    public func signatureHeaders(for request: Request, date: Date) -> [(name: String, value: String)] {
        let stamp = Self.timestamp(date)
        let day = String(stamp.prefix(8))
        let payloadHash = Self.hex(SHA256.hash(data: request.body))

        var added: [(name: String, value: String)] = []
        if !request.headers.contains(where: { $0.name.lowercased() == "host" }) {
            added.append(("Host", Self.hostHeader(for: request.url)))
        }
        added.append(("X-Amz-Date", stamp))
        if service == "s3" {
            added.append(("X-Amz-Content-Sha256", payloadHash))
        }
        if let token = credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
        }

        let canonical = canonicalRequest(request, extraHeaders: added, payloadHash: payloadHash)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", stamp, scope, Self.hex(SHA256.hash(data: Array(canonical.request.utf8))),
        ].joined(separator: "\n")
        let key = Self.signingKey(secret: credentials.secretAccessKey, day: day, region: region, service: service)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        added.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
                    + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
            ))
        return added
    }

    /// The canonical request and the signed-header list, exposed for known-answer tests.
    public func canonicalRequest(
        _ request: Request, extraHeaders: [(name: String, value: String)], payloadHash: String
    ) -> (request: String, signedHeaders: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in request.headers + extraHeaders {
            let key = name.lowercased()
            guard !Self.unsignedHeaders.contains(key) else { continue }
            merged[key, default: []].append(Self.normalizeHeaderValue(value))
        }
        let names = merged.keys.sorted()
        let headerBlock = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonical = [
            request.method.uppercased(),
            canonicalPath(request.url),
            Self.canonicalQuery(request.url),
            headerBlock,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        return (canonical, signedHeaders)
    }

    /// Derives the signing key: HMAC chain over day, region, service and `aws4_request`.
    public static func signingKey(secret: String, day: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(secret)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// Formats a date as SigV4's basic ISO 8601 timestamp, `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2)
            + pad(c.second, 2) + "Z"
    }

    /// Lowercase hexadecimal of a digest or MAC.
    public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let unsignedHeaders: Set<String> = ["authorization", "content-length", "expect", "user-agent"]

    private static func hostHeader(for url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port else { return host }
        let defaultPort = url.scheme == "https" ? 443 : 80
        return port == defaultPort ? host : "\(host):\(port)"
    }

    /// Trims and collapses runs of spaces, as the canonical header format requires.
    private static func normalizeHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// Non-S3 services encode each path segment twice: once for the URI, once for signing.
    private func canonicalPath(_ url: URL) -> String {
        let path = url.path(percentEncoded: true)
        guard !path.isEmpty else { return "/" }
        if service == "s3" { return path }
        return URIEncoding.encode(path, keepSlash: true)
    }

    private static func canonicalQuery(_ url: URL) -> String {
        guard let query = url.query(percentEncoded: true), !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            return (URIEncoding.encode(name), URIEncoding.encode(value))
        }
        return pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }
}
