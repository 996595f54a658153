import Foundation
import Hummingbird
import Logging

/// The controller's HTTP side: health and version now; metrics and the inventory join it as they are built.
public struct ControllerServer: Sendable {
    let configuration: ControllerConfiguration
    let logger: Logger

    /// Creates the server.
    public init(configuration: ControllerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    public func run() async throws {
        let router = Router()
        router.get("/healthz") { _, _ in "ok" }
        router.get("/readyz") { _, _ in "ok" }
        router.get("/version") { _, _ in ControllerConfiguration.version }
        let portFile = configuration.portFile
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["port": "\(port)"])
                if let portFile { Self.writeAtomically("\(port)\n", to: portFile) }
            },
            logger: logger)
        try await app.runService()
    }

    /// Writes through a temporary file and a rename, so a reader never sees half a file.
    static func writeAtomically(_ text: String, to path: String) {
        try? Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
