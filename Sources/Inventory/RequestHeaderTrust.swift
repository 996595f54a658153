import Foundation
import HTTPTypes
import MTVAPI
import SwiftASN1
import X509

/// The API server's front proxy as `kube-system/extension-apiserver-authentication` describes it: the CA that
/// signs the proxy's client certificate, the names that certificate may carry, and the headers in which the proxy
/// names the user it vouches for. Only a request over a connection with such a certificate may name its user in
/// headers; everyone else brings a bearer token.
public struct RequestHeaderTrust: Sendable {
    /// The request-header CAs (`requestheader-client-ca-file`).
    public var authorities: [Certificate]
    /// Common names the proxy's certificate may have (`requestheader-allowed-names`); empty: any the CA signed.
    public var allowedNames: [String]
    public var usernameHeaders: [String]
    public var groupHeaders: [String]
    public var extraHeaderPrefixes: [String]

    /// The header names Kubernetes uses when the ConfigMap names none.
    public static let defaultUsernameHeaders = ["X-Remote-User"]
    public static let defaultGroupHeaders = ["X-Remote-Group"]
    public static let defaultExtraHeaderPrefixes = ["X-Remote-Extra-"]

    /// Creates a trust from its parts.
    public init(
        authorities: [Certificate], allowedNames: [String] = [],
        usernameHeaders: [String] = Self.defaultUsernameHeaders, groupHeaders: [String] = Self.defaultGroupHeaders,
        extraHeaderPrefixes: [String] = Self.defaultExtraHeaderPrefixes
    ) {
        self.authorities = authorities
        self.allowedNames = allowedNames
        self.usernameHeaders = usernameHeaders
        self.groupHeaders = groupHeaders
        self.extraHeaderPrefixes = extraHeaderPrefixes
    }

    /// Reads the ConfigMap's data; nil when it has no request-header CA (aggregation is not set up).
    public init?(configMapData data: [String: String]) throws {
        guard let pem = data["requestheader-client-ca-file"], !pem.isEmpty else { return nil }
        let authorities = try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
        guard !authorities.isEmpty else { return nil }
        func list(_ key: String, _ fallback: [String]) throws -> [String] {
            guard let text = data[key], !text.isEmpty else { return fallback }
            guard let values = (try? JSONValue(parsing: Data(text.utf8)))?.arrayValue?.compactMap(\.stringValue) else {
                throw RequestHeaderTrustError("\(key) is not a JSON list of strings")
            }
            return values
        }
        self.init(
            authorities: authorities, allowedNames: try list("requestheader-allowed-names", []),
            usernameHeaders: try list("requestheader-username-headers", Self.defaultUsernameHeaders),
            groupHeaders: try list("requestheader-group-headers", Self.defaultGroupHeaders),
            extraHeaderPrefixes: try list("requestheader-extra-headers-prefix", Self.defaultExtraHeaderPrefixes))
    }

    /// Whether a client certificate (DER) is the front proxy's: signed by a request-header CA, valid now, and
    /// with an allowed common name. The answer names what is wrong when it is not.
    public func verify(clientCertificate der: [UInt8]) async -> Result<Void, RequestHeaderTrustError> {
        let leaf: Certificate
        do {
            leaf = try Certificate(derEncoded: der)
        } catch {
            return .failure(RequestHeaderTrustError("the client certificate cannot be read: \(error)"))
        }
        var verifier = Verifier(rootCertificates: CertificateStore(authorities)) { RFC5280Policy() }
        guard case .validCertificate = await verifier.validate(leaf: leaf, intermediates: CertificateStore()) else {
            return .failure(
                RequestHeaderTrustError(
                    "the client certificate is not signed by the request-header CA, or has expired"))
        }
        let name = leaf.subject.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }.map { "\($0.value)" }
        guard allowedNames.isEmpty || allowedNames.contains(name ?? "") else {
            return .failure(
                RequestHeaderTrustError(
                    "the client certificate's common name '\(name ?? "")' is not one of requestheader-allowed-names"))
        }
        return .success(())
    }

    /// The user the proxy names in the headers; nil when no username header is set.
    public func user(from headers: HTTPFields) -> UserInfo? {
        guard let username = Self.values(headers, usernameHeaders).first(where: { !$0.isEmpty }) else { return nil }
        var extra: [String: [String]] = [:]
        for field in headers {
            let name = field.name.canonicalName
            guard let prefix = extraHeaderPrefixes.first(where: { name.hasPrefix($0.lowercased()) }) else { continue }
            let key =
                String(name.dropFirst(prefix.count)).removingPercentEncoding ?? String(name.dropFirst(prefix.count))
            extra[key, default: []].append(field.value)
        }
        return UserInfo(
            username: username, groups: Self.values(headers, groupHeaders), extra: extra.isEmpty ? nil : extra)
    }

    /// Whether a request sets a header only the front proxy may set (a caller forging its identity).
    public func namesUser(_ headers: HTTPFields) -> Bool {
        !Self.values(headers, usernameHeaders + groupHeaders).isEmpty
            || headers.contains { field in
                extraHeaderPrefixes.contains { field.name.canonicalName.hasPrefix($0.lowercased()) }
            }
    }

    private static func values(_ headers: HTTPFields, _ names: [String]) -> [String] {
        names.compactMap { HTTPField.Name($0) }.flatMap { headers[values: $0] }
    }
}

/// Why the front proxy's configuration or certificate was not accepted.
public struct RequestHeaderTrustError: Error, CustomStringConvertible, Sendable {
    public let description: String

    /// Creates an error with its message.
    public init(_ description: String) { self.description = description }
}

/// Where the current front-proxy trust comes from (the controller reads it from the cluster and follows changes).
public protocol RequestHeaderTrustSource: Sendable {
    /// The trust now; nil when the cluster has no request-header CA.
    func trust() async -> RequestHeaderTrust?
}
