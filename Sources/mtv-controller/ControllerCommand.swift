import ArgumentParser
import Foundation
import Inventory
import InventoryQuery
import KubernetesClient
import Logging
import MTVController
import ServiceLifecycle

/// The `mtv-controller` process.
@main
struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtv-controller",
        abstract: "Reconciles Forklift EC2 providers, plans and migrations, and serves the EC2 inventory.",
        version: ControllerConfiguration.version)

    @Option(help: "Path to a kubeconfig file; KUBECONFIG, ~/.kube/config or in-cluster configuration when omitted.")
    var kubeconfig: String?

    @Option(help: "Address of the HTTP endpoints (health, metrics, inventory), HOST:PORT; port 0 picks a free one.")
    var listen = "0.0.0.0:8443"

    @Option(help: "Write the listening port to this file once the server is up.")
    var portFile: String?

    @Option(help: "The serving certificate (PEM, with its chain), read again when it changes.")
    var tlsCertFile: String?

    @Option(help: "The serving certificate's private key (PEM).")
    var tlsPrivateKeyFile: String?

    @Flag(help: "Serve plain HTTP instead of HTTPS: only for local development, never on a cluster.")
    var insecureHttp = false

    @Option(name: .customLong("namespace"), help: "A namespace to watch (repeatable); all namespaces when omitted.")
    var namespaces: [String] = []

    @Option(help: "Namespace of the host provider and of the leader-election Lease.")
    var controllerNamespace = "openshift-mtv"

    @Flag(help: "Take part in leader election on a Lease before reconciling.")
    var leaderElect = false

    @Option(help: "This process's identity in the Lease (default: POD_NAME, else the host name and PID).")
    var identity: String?

    @Option(help: "Seconds a Lease lasts without renewal.")
    var leaseDuration = 15

    @Option(help: "Seconds between Lease renewals and acquisition attempts.")
    var leaseRetryPeriod = 2.0

    @Option(help: "Reconcile workers per kind.")
    var workers = 4

    @Option(help: "Seconds between inventory passes per provider.")
    var inventoryInterval = 10.0

    @Option(help: "VMs of one migration in flight at once, at most.")
    var maxVmsInFlight = 100

    @Flag(help: "Conversion pods request /dev/kvm (devices.kubevirt.io/kvm) for hardware-accelerated virt-v2v.")
    var conversionKvm = false

    @Option(help: "The inventory's SQLite file (in memory when omitted).")
    var inventoryDb: String?

    @Option(help: "Seconds one inventory query may spend evaluating records before it fails.")
    var queryTimeLimit = QueryLimits.maxEvaluationSeconds

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func validate() throws {
        guard Self.splitHostPort(listen) != nil else {
            throw ValidationError("--listen '\(listen)' is not HOST:PORT (for example 127.0.0.1:8443)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level '\(logLevel)' is not one of trace, debug, info, notice, warning, error")
        }
        guard leaseDuration >= 2, leaseRetryPeriod > 0, leaseRetryPeriod < Double(leaseDuration) else {
            throw ValidationError("--lease-retry-period must be positive and shorter than --lease-duration")
        }
        switch (tlsCertFile, tlsPrivateKeyFile, insecureHttp) {
        case (.some, .some, false), (nil, nil, true): break
        case (.some, .some, true):
            throw ValidationError("--insecure-http and --tls-cert-file exclude each other: choose HTTPS or plain HTTP")
        case (.some, nil, _), (nil, .some, _):
            throw ValidationError("--tls-cert-file and --tls-private-key-file go together")
        case (nil, nil, false):
            throw ValidationError(
                "the controller serves HTTPS: give --tls-cert-file and --tls-private-key-file "
                    + "(a Secret from the OpenShift service CA or cert-manager, see deploy/), or --insecure-http for "
                    + "local development")
        }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard maxVmsInFlight >= 1 else { throw ValidationError("--max-vms-in-flight must be at least 1") }
        guard inventoryInterval >= 0.2 else {
            throw ValidationError("--inventory-interval must be at least 0.2 seconds")
        }
        guard queryTimeLimit > 0, queryTimeLimit <= 600 else {
            throw ValidationError("--query-time-limit must be between 0 and 600 seconds")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "mtv-controller")
        let (host, port) = Self.splitHostPort(listen)!
        var configuration = ControllerConfiguration(
            kubeconfig: kubeconfig, listenHost: host, listenPort: port, portFile: portFile)
        configuration.namespaces = namespaces
        configuration.controllerNamespace = controllerNamespace
        configuration.leaderElect = leaderElect
        configuration.identity =
            identity ?? ProcessInfo.processInfo.environment["POD_NAME"]
            ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        configuration.leaseDuration = leaseDuration
        configuration.leaseRetryPeriod = leaseRetryPeriod
        configuration.workers = workers
        configuration.inventoryInterval = inventoryInterval
        configuration.maxInFlight = maxVmsInFlight
        configuration.conversionKVM = conversionKvm
        configuration.inventoryDatabase = inventoryDb

        let kubernetes: KubernetesConfiguration
        do {
            kubernetes = try KubernetesConfiguration.load(kubeconfig: kubeconfig)
        } catch let error as KubernetesConfigurationError {
            throw ValidationError(error.message)
        }
        let client = try KubernetesClient(configuration: kubernetes, logger: logger)
        let store: InventoryStore
        do {
            store = try InventoryStore(path: inventoryDb)
        } catch {
            throw ValidationError("cannot open the inventory database \(inventoryDb ?? "(memory)"): \(error)")
        }
        let metrics = ControllerMetrics()
        let supervisor = InventorySupervisor(
            store: store, interval: inventoryInterval, metrics: metrics, logger: logger)
        var certificate: ServingCertificate?
        if let tlsCertFile, let tlsPrivateKeyFile {
            do {
                certificate = try ServingCertificate(certificatePath: tlsCertFile, keyPath: tlsPrivateKeyFile)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let cluster = ClusterInventory(client: client, namespaces: namespaces.isEmpty ? [nil] : namespaces)
        let inventory = InventoryService(
            store: store, providers: supervisor, authorizer: KubernetesInventoryAuthorizer(client: client),
            requestHeaderTrust: ClusterRequestHeaderTrust(client: client, logger: logger), cluster: cluster,
            queryTimeLimit: queryTimeLimit)
        let health = HealthState()
        let controller = Controller(
            configuration: configuration, client: client,
            registry: ProviderRegistry(metrics: metrics), inventory: supervisor, cluster: cluster, health: health,
            metrics: metrics, logger: logger)
        let server = try ControllerServer.make(
            configuration: configuration, health: health, metrics: metrics, inventory: inventory,
            certificate: certificate, logger: logger)
        let follower = certificate.map {
            ServiceGroupConfiguration.ServiceConfiguration(
                service: ServingCertificateFollower(certificate: $0, logger: logger))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: (follower.map { [$0] } ?? []) + [
                    .init(service: server),
                    .init(
                        service: controller, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("stopping", metadata: ["reason": "\(error)"])
            try? await client.shutdown()
            throw ExitCode(1)
        }
        try await client.shutdown()
    }

    static func splitHostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        let host = String(text[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
