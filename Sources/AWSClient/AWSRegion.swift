import Foundation

/// An AWS region name, checked for shape so a typo fails before any call.
public struct AWSRegion: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    /// Accepts names like `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`.
    public init(_ name: String) throws(AWSConfigurationError) {
        guard AWSRegion.isWellFormed(name) else {
            throw AWSConfigurationError(
                "'\(name)' is not an AWS region name; use a name like us-east-1 or eu-west-1")
        }
        self.name = name
    }

    public var description: String { name }

    /// Whether this is a China region, whose endpoints end in `.amazonaws.com.cn`.
    public var isChina: Bool { name.hasPrefix("cn-") }

    /// The default endpoint of a service in this region.
    public func endpoint(service: String) -> URL {
        let suffix = isChina ? "amazonaws.com.cn" : "amazonaws.com"
        return URL(string: "https://\(service).\(name).\(suffix)")!
    }

    static func isWellFormed(_ name: String) -> Bool {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let last = parts.last, !last.isEmpty, last.allSatisfy(\.isNumber) else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLetter && $0.isLowercase } }
            && parts[0].count == 2
    }
}

/// Where a client sends its requests: the region's endpoint unless something overrides it.
public enum AWSEndpoint {
    /// Resolves the endpoint: an explicit URL first, then (when `environment` is given) `AWS_ENDPOINT_URL_<SERVICE>`
    /// and `AWS_ENDPOINT_URL`, then the region's default endpoint.
    public static func resolve(
        service: String, region: AWSRegion, explicit: String? = nil, environment: [String: String]? = nil
    ) throws(AWSConfigurationError) -> URL {
        if let explicit, !explicit.isEmpty {
            return try validated(explicit, source: "the endpoint URL")
        }
        if let environment {
            let specific = "AWS_ENDPOINT_URL_\(service.uppercased())"
            for name in [specific, "AWS_ENDPOINT_URL"] {
                if let value = environment[name], !value.isEmpty {
                    return try validated(value, source: name)
                }
            }
        }
        return region.endpoint(service: service)
    }

    /// Checks that a string is an absolute http(s) URL with a host.
    public static func validated(_ text: String, source: String) throws(AWSConfigurationError) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else {
            throw AWSConfigurationError(
                "\(source) '\(text)' is not an http(s) URL; use a URL like https://ec2.us-east-1.amazonaws.com")
        }
        return url
    }
}
