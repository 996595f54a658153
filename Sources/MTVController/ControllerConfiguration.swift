/// How one `mtv-controller` process runs: where the cluster is, where it listens, what it watches.
public struct ControllerConfiguration: Sendable {
    /// A kubeconfig path; nil means in-cluster configuration.
    public var kubeconfig: String?
    /// The address the HTTP endpoints (health, metrics, inventory) listen on.
    public var listenHost: String
    /// The port; 0 picks a free one, reported through `portFile`.
    public var listenPort: Int
    /// A file the chosen port is written to once the server listens.
    public var portFile: String?

    /// Creates a configuration.
    public init(kubeconfig: String?, listenHost: String, listenPort: Int, portFile: String?) {
        self.kubeconfig = kubeconfig
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.portFile = portFile
    }

    /// The version string the controller reports.
    public static let version = "0.1.0"
}
