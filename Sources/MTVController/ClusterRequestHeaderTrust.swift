import Foundation
import Inventory
import KubernetesClient
import Logging
import MTVAPI

/// The front proxy's trust as the cluster publishes it in `kube-system/extension-apiserver-authentication`, read
/// again when older than `ttl` seconds so a rotated request-header CA takes effect without a restart.
public actor ClusterRequestHeaderTrust: RequestHeaderTrustSource {
    /// Where Kubernetes publishes it.
    public static let namespace = "kube-system"
    public static let name = "extension-apiserver-authentication"

    let client: KubernetesClient
    let ttl: TimeInterval
    let logger: Logger
    private var cached: (trust: RequestHeaderTrust?, until: Date)?
    private var lastProblem: String?

    /// Creates the source.
    public init(client: KubernetesClient, ttl: TimeInterval = 30, logger: Logger) {
        self.client = client
        self.ttl = ttl
        self.logger = logger
    }

    public func trust() async -> RequestHeaderTrust? {
        if let cached, cached.until > Date() { return cached.trust }
        let trust = await read()
        cached = (trust, Date().addingTimeInterval(ttl))
        return trust
    }

    private func read() async -> RequestHeaderTrust? {
        do {
            let map = try await client.get(.configMaps, name: Self.name, namespace: Self.namespace)
            let data = (map["data"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            let trust = try RequestHeaderTrust(configMapData: data)
            report(trust == nil ? "\(Self.namespace)/\(Self.name) has no requestheader-client-ca-file" : nil)
            return trust
        } catch let error as KubernetesError where error.code == 404 {
            report("\(Self.namespace)/\(Self.name) does not exist")
        } catch {
            report("cannot read \(Self.namespace)/\(Self.name): \(error)")
        }
        return nil
    }

    /// Logs a change in why aggregated requests cannot be trusted, once per change.
    private func report(_ problem: String?) {
        guard problem != lastProblem else { return }
        lastProblem = problem
        if let problem {
            logger.warning("requests through the aggregated API are refused", metadata: ["reason": "\(problem)"])
        } else {
            logger.info("requests through the aggregated API are accepted from the API server's front proxy")
        }
    }
}
