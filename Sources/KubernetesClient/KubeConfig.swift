import Foundation
import Yams

/// A kubeconfig file, the parts a client needs (`clusters`, `users`, `contexts`, `current-context`).
public struct KubeConfig: Codable, Sendable, Equatable {
    public var currentContext: String?
    public var clusters: [Named<Cluster>]
    public var users: [Named<User>]
    public var contexts: [Named<Context>]

    /// A list entry: a name and its value.
    public struct Named<Value: KubeConfigEntry>: Codable, Sendable, Equatable {
        public var name: String
        public var value: Value

        /// Creates an entry.
        public init(name: String, value: Value) {
            self.name = name
            self.value = value
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: EntryKey.self)
            name = try container.decode(String.self, forKey: EntryKey("name"))
            value = try container.decodeIfPresent(Value.self, forKey: EntryKey(Value.entryKey)) ?? Value.empty
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: EntryKey.self)
            try container.encode(name, forKey: EntryKey("name"))
            try container.encode(value, forKey: EntryKey(Value.entryKey))
        }
    }

    /// A coding key made from a string, for `name` plus the entry's own key.
    struct EntryKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// How to reach an API server.
    public struct Cluster: KubeConfigEntry {
        public var server: String?
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?
        public var tlsServerName: String?

        public static var empty: Cluster { Cluster() }
        public static var entryKey: String { "cluster" }

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }

    /// How to authenticate.
    public struct User: KubeConfigEntry {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var exec: ExecConfig?

        public static var empty: User { User() }
        public static var entryKey: String { "user" }

        enum CodingKeys: String, CodingKey {
            case token, exec
            case tokenFile = "tokenFile"
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
        }
    }

    /// An exec credential plugin (`client.authentication.k8s.io/v1`).
    public struct ExecConfig: Codable, Sendable, Equatable {
        public var apiVersion: String?
        public var command: String
        public var args: [String]?
        public var env: [EnvVar]?
        public var interactiveMode: String?

        /// Creates a plugin configuration.
        public init(
            command: String, args: [String]? = nil, env: [EnvVar]? = nil,
            apiVersion: String? = "client.authentication.k8s.io/v1", interactiveMode: String? = "Never"
        ) {
            self.apiVersion = apiVersion
            self.command = command
            self.args = args
            self.env = env
            self.interactiveMode = interactiveMode
        }

        /// One environment variable for the plugin.
        public struct EnvVar: Codable, Sendable, Equatable {
            public var name: String
            public var value: String

            /// Creates a variable.
            public init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }
    }

    /// A cluster, a user and a default namespace.
    public struct Context: KubeConfigEntry {
        public var cluster: String
        public var user: String?
        public var namespace: String?

        public static var empty: Context { Context(cluster: "") }
        public static var entryKey: String { "context" }
    }

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context"
        case clusters, users, contexts
    }

    public init(
        currentContext: String? = nil, clusters: [Named<Cluster>] = [], users: [Named<User>] = [],
        contexts: [Named<Context>] = []
    ) {
        self.currentContext = currentContext
        self.clusters = clusters
        self.users = users
        self.contexts = contexts
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        currentContext = try container.decodeIfPresent(String.self, forKey: .currentContext)
        clusters = try container.decodeIfPresent([Named<Cluster>].self, forKey: .clusters) ?? []
        users = try container.decodeIfPresent([Named<User>].self, forKey: .users) ?? []
        contexts = try container.decodeIfPresent([Named<Context>].self, forKey: .contexts) ?? []
    }

    /// Parses one kubeconfig file's YAML (or JSON).
    public static func parse(_ text: String, path: String) throws -> KubeConfig {
        do {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return KubeConfig() }
            return try YAMLDecoder().decode(KubeConfig.self, from: text)
        } catch {
            throw KubernetesConfigurationError("cannot parse the kubeconfig \(path): \(Self.describe(error))")
        }
    }

    /// Merges files the way kubectl does: for each name the first file that defines it wins, and so does the
    /// first `current-context`.
    public static func merged(_ configs: [KubeConfig]) -> KubeConfig {
        var result = KubeConfig()
        for config in configs {
            if result.currentContext == nil || result.currentContext == "" {
                result.currentContext = config.currentContext
            }
            for entry in config.clusters where !result.clusters.contains(where: { $0.name == entry.name }) {
                result.clusters.append(entry)
            }
            for entry in config.users where !result.users.contains(where: { $0.name == entry.name }) {
                result.users.append(entry)
            }
            for entry in config.contexts where !result.contexts.contains(where: { $0.name == entry.name }) {
                result.contexts.append(entry)
            }
        }
        return result
    }

    private static func describe(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
                .dataCorrupted(let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
            @unknown default:
                return "\(error)"
            }
        }
        return "\(error)"
    }
}

/// A kind of kubeconfig list entry: the key its body sits under, and the value of an entry without a body.
public protocol KubeConfigEntry: Codable, Sendable, Equatable {
    /// `cluster`, `user` or `context`.
    static var entryKey: String { get }
    /// The value of an entry that omits its body.
    static var empty: Self { get }
}

/// A problem with the client's configuration (kubeconfig, context, credentials), found before any call.
public struct KubernetesConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and what to do; never a credential value.
    public var message: String

    /// Creates the error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
