/// How one `mtv-controller` process runs: where the cluster is, where it listens, what it watches.
public struct ControllerConfiguration: Sendable {
    /// A kubeconfig path; nil means `KUBECONFIG`, `~/.kube/config` or in-cluster configuration.
    public var kubeconfig: String?
    /// The address the HTTP endpoints (health, metrics, inventory) listen on.
    public var listenHost: String
    /// The port; 0 picks a free one, reported through `portFile`.
    public var listenPort: Int
    /// A file the chosen port is written to once the server listens.
    public var portFile: String?
    /// The namespaces to watch; empty means all.
    public var namespaces: [String] = []
    /// The namespace of the `host` provider and of the leader-election Lease.
    public var controllerNamespace = "openshift-mtv"
    /// Whether to take part in leader election before reconciling.
    public var leaderElect = false
    /// This process's name in the Lease.
    public var identity = "mtv-controller"
    /// Seconds a Lease lasts without renewal.
    public var leaseDuration = 15
    /// Seconds between renewals and acquisition attempts.
    public var leaseRetryPeriod = 2.0
    /// Reconcile workers per kind.
    public var workers = 4
    /// Seconds between inventory passes per provider.
    public var inventoryInterval = 10.0
    /// VMs of one migration in flight at once, at most (AWS limits may admit fewer).
    public var maxInFlight = 100
    /// Whether conversion pods request `/dev/kvm` (hardware acceleration for virt-v2v).
    public var conversionKVM = false
    /// The inventory's SQLite file; in memory when nil.
    public var inventoryDatabase: String?

    /// Creates a configuration.
    public init(kubeconfig: String?, listenHost: String, listenPort: Int, portFile: String?) {
        self.kubeconfig = kubeconfig
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.portFile = portFile
    }

    /// The version string the controller reports.
    public static let version = "0.1.0"

    /// The name of the leader-election Lease.
    public static let leaseName = "mtv-controller-leader"
}
