import Foundation
import Hummingbird
import Logging

/// The controller's HTTP endpoints: health, readiness and version; the inventory joins them later.
public enum ControllerServer {
    /// Builds the HTTP application as a service of the controller's service group.
    public static func make(configuration: ControllerConfiguration, health: HealthState, logger: Logger)
        -> some ApplicationProtocol
    {
        let router = Router()
        router.get("/healthz") { _, _ in "ok" }
        router.get("/readyz") { _, _ in "ok" }
        router.get("/leader") { _, _ in await health.isLeading ? "leader" : "standby" }
        router.get("/version") { _, _ in ControllerConfiguration.version }
        let portFile = configuration.portFile
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["port": "\(port)"])
                if let portFile { try? Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: portFile), options: .atomic) }
            },
            logger: logger)
    }
}
