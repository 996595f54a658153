import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Inventory
import Logging

/// The controller's endpoints: health, readiness, leadership, version, metrics and the EC2 inventory, over HTTPS
/// (plain HTTP only when `certificate` is nil, for local development).
public enum ControllerServer {
    /// Builds the application as a service of the controller's service group.
    public static func make(
        configuration: ControllerConfiguration, health: HealthState, metrics: ControllerMetrics,
        inventory: InventoryService?, certificate: ServingCertificate?, logger: Logger
    ) throws -> some ApplicationProtocol {
        let router = Router(context: InventoryRequestContext.self)
        inventory?.register(on: router)
        router.get("/healthz") { _, _ in "ok" }
        // Every replica collects and serves the inventory (see deploy/README.md), so every replica whose caches are
        // filled is ready, leader or not.
        router.get("/readyz") { _, _ -> Response in
            guard await health.isReady else {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "starting\n")))
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/leader") { _, _ in await health.isLeading ? "leader" : "standby" }
        router.get("/version") { _, _ in ControllerConfiguration.version }
        router.get("/metrics") { _, _ in await metrics.render() }
        let portFile = configuration.portFile
        let server: HTTPServerBuilder =
            try certificate.map { certificate in
                try .tls(
                    .http1(),
                    configuration: TLSChannelConfiguration(
                        tlsConfiguration: certificate.tlsConfiguration,
                        customVerificationCallback: ServingCertificate.acceptPresentedCertificates))
            } ?? .http1()
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["port": "\(port)"])
                if let portFile {
                    try? Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: portFile), options: .atomic)
                }
            },
            logger: logger)
    }
}
