import Foundation

/// Where the API server is and how to talk to it, resolved from a kubeconfig or from a pod's service account.
public struct KubernetesConfiguration: Sendable {
    /// The API server's base URL.
    public var server: URL
    /// PEM certificates to trust instead of the system's roots.
    public var certificateAuthority: [UInt8]?
    /// Skips TLS verification (only when the kubeconfig says so).
    public var insecureSkipTLSVerify: Bool
    /// The name to verify the server's certificate against, when it differs from the URL's host.
    public var tlsServerName: String?
    /// How requests authenticate.
    public var authentication: Authentication
    /// The namespace commands use when none is given.
    public var namespace: String
    /// The kubeconfig context this came from, if any.
    public var contextName: String?

    /// How a client proves who it is.
    public enum Authentication: Sendable {
        case none
        case bearerToken(String)
        /// A file re-read as it rotates (projected service-account tokens).
        case tokenFile(String)
        case clientCertificate(certificate: [UInt8], key: [UInt8])
        case exec(KubeConfig.ExecConfig)
    }

    /// Creates a configuration.
    public init(
        server: URL, certificateAuthority: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
        tlsServerName: String? = nil, authentication: Authentication = .none, namespace: String = "default",
        contextName: String? = nil
    ) {
        self.server = server
        self.certificateAuthority = certificateAuthority
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.authentication = authentication
        self.namespace = namespace
        self.contextName = contextName
    }

    /// The service account directory of a pod.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Resolves like kubectl: `--kubeconfig`, else the `KUBECONFIG` list, else `~/.kube/config`, else in-cluster.
    public static func load(
        kubeconfig: String? = nil, context: String? = nil, namespace: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KubernetesConfiguration {
        let paths: [String]
        if let kubeconfig, !kubeconfig.isEmpty {
            paths = [kubeconfig]
            guard FileManager.default.fileExists(atPath: kubeconfig) else {
                throw KubernetesConfigurationError("the kubeconfig \(kubeconfig) does not exist")
            }
        } else if let list = environment["KUBECONFIG"], !list.isEmpty {
            paths = list.split(separator: ":").map(String.init).filter { FileManager.default.fileExists(atPath: $0) }
            guard !paths.isEmpty else {
                throw KubernetesConfigurationError("none of the files in KUBECONFIG (\(list)) exists")
            }
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            let path = "\(home)/.kube/config"
            if FileManager.default.fileExists(atPath: path) {
                paths = [path]
            } else if environment["KUBERNETES_SERVICE_HOST"] != nil {
                var configuration = try inCluster(environment: environment)
                if let namespace, !namespace.isEmpty { configuration.namespace = namespace }
                return configuration
            } else {
                throw KubernetesConfigurationError(
                    "no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config (oc login)")
            }
        }
        var configs: [(KubeConfig, String)] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubernetesConfigurationError("cannot read the kubeconfig \(path); check its permissions")
            }
            configs.append((try KubeConfig.parse(String(decoding: data, as: UTF8.self), path: path), path))
        }
        return try resolve(configs, context: context, namespace: namespace)
    }

    /// Picks the context and turns its cluster and user into a configuration; relative paths are resolved
    /// against the directory of the file that defined the entry.
    static func resolve(
        _ files: [(KubeConfig, String)], context: String?, namespace: String?
    ) throws
        -> KubernetesConfiguration
    {
        let merged = KubeConfig.merged(files.map(\.0))
        func directory(defining test: (KubeConfig) -> Bool) -> String {
            let path = files.first { test($0.0) }?.1 ?? ""
            return (path as NSString).deletingLastPathComponent
        }
        guard let contextName = (context?.isEmpty == false ? context : merged.currentContext), !contextName.isEmpty
        else {
            throw KubernetesConfigurationError(
                "the kubeconfig has no current context; pass --context or run kubectl config use-context")
        }
        guard let chosen = merged.contexts.first(where: { $0.name == contextName })?.value else {
            let known = merged.contexts.map(\.name).joined(separator: ", ")
            throw KubernetesConfigurationError(
                "context '\(contextName)' is not in the kubeconfig (known: \(known.isEmpty ? "none" : known))")
        }
        guard let cluster = merged.clusters.first(where: { $0.name == chosen.cluster })?.value else {
            throw KubernetesConfigurationError(
                "context '\(contextName)' names cluster '\(chosen.cluster)', which is not in the kubeconfig")
        }
        guard let serverText = cluster.server, let server = URL(string: serverText), server.host != nil,
            ["https", "http"].contains(server.scheme ?? "")
        else {
            throw KubernetesConfigurationError(
                "cluster '\(chosen.cluster)' has no valid server URL (\(cluster.server ?? "none"))")
        }
        let clusterDirectory = directory { $0.clusters.contains { $0.name == chosen.cluster } }

        var ca: [UInt8]?
        if let data = cluster.certificateAuthorityData {
            ca = try decodeBase64(data, field: "certificate-authority-data of cluster '\(chosen.cluster)'")
        } else if let file = cluster.certificateAuthority {
            ca = try readFile(file, relativeTo: clusterDirectory, field: "certificate-authority")
        }

        var authentication = Authentication.none
        if let userName = chosen.user, !userName.isEmpty {
            guard let user = merged.users.first(where: { $0.name == userName })?.value else {
                throw KubernetesConfigurationError(
                    "context '\(contextName)' names user '\(userName)', which is not in the kubeconfig")
            }
            let userDirectory = directory { $0.users.contains { $0.name == userName } }
            authentication = try resolveUser(user, name: userName, directory: userDirectory)
        }
        return KubernetesConfiguration(
            server: server, certificateAuthority: ca, insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false,
            tlsServerName: cluster.tlsServerName, authentication: authentication,
            namespace: (namespace?.isEmpty == false ? namespace : chosen.namespace) ?? "default",
            contextName: contextName)
    }

    private static func resolveUser(
        _ user: KubeConfig.User, name: String, directory: String
    ) throws
        -> Authentication
    {
        if let token = user.token, !token.isEmpty { return .bearerToken(token) }
        if let file = user.tokenFile, !file.isEmpty {
            return .tokenFile(absolute(file, relativeTo: directory))
        }
        let certificate: [UInt8]? =
            try user.clientCertificateData.map {
                try decodeBase64($0, field: "client-certificate-data of user '\(name)'")
            }
            ?? user.clientCertificate.map { try readFile($0, relativeTo: directory, field: "client-certificate") }
        let key: [UInt8]? =
            try user.clientKeyData.map { try decodeBase64($0, field: "client-key-data of user '\(name)'") }
            ?? user.clientKey.map { try readFile($0, relativeTo: directory, field: "client-key") }
        switch (certificate, key) {
        case (let certificate?, let key?): return .clientCertificate(certificate: certificate, key: key)
        case (.some, nil): throw KubernetesConfigurationError("user '\(name)' has a client certificate but no key")
        case (nil, .some): throw KubernetesConfigurationError("user '\(name)' has a client key but no certificate")
        case (nil, nil): break
        }
        if var exec = user.exec {
            if exec.command.contains("/") { exec.command = absolute(exec.command, relativeTo: directory) }
            return .exec(exec)
        }
        return .none
    }

    /// The configuration of a pod: the service account token and CA, and the service's address.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = serviceAccountDirectory
    ) throws -> KubernetesConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"]
        else {
            throw KubernetesConfigurationError(
                "not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset); pass --kubeconfig")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(hostPart):\(port)") else {
            throw KubernetesConfigurationError("KUBERNETES_SERVICE_HOST/PORT do not form a URL: \(host):\(port)")
        }
        let tokenPath = "\(directory)/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubernetesConfigurationError("the service account token \(tokenPath) is not readable")
        }
        let ca = FileManager.default.contents(atPath: "\(directory)/ca.crt").map { Array($0) }
        let namespace = FileManager.default.contents(atPath: "\(directory)/namespace")
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        return KubernetesConfiguration(
            server: server, certificateAuthority: ca, authentication: .tokenFile(tokenPath),
            namespace: namespace ?? "default")
    }

    private static func absolute(_ path: String, relativeTo directory: String) -> String {
        path.hasPrefix("/") || directory.isEmpty ? path : "\(directory)/\(path)"
    }

    private static func readFile(_ path: String, relativeTo directory: String, field: String) throws -> [UInt8] {
        let full = absolute(path, relativeTo: directory)
        guard let data = FileManager.default.contents(atPath: full) else {
            throw KubernetesConfigurationError("cannot read \(field) file \(full)")
        }
        return Array(data)
    }

    private static func decodeBase64(_ text: String, field: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw KubernetesConfigurationError("\(field) is not valid base64")
        }
        return Array(data)
    }
}
