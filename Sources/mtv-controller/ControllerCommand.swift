import ArgumentParser
import Logging
import MTVController

/// The `mtv-controller` process.
@main
struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtv-controller",
        abstract: "Reconciles Forklift EC2 providers, plans and migrations, and serves the EC2 inventory.",
        version: ControllerConfiguration.version)

    @Option(help: "Path to a kubeconfig file; in-cluster configuration when omitted.")
    var kubeconfig: String?

    @Option(help: "Address of the HTTP endpoints (health, metrics, inventory), HOST:PORT; port 0 picks a free one.")
    var listen = "0.0.0.0:8443"

    @Option(help: "Write the listening port to this file once the server is up.")
    var portFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func validate() throws {
        guard Self.splitHostPort(listen) != nil else {
            throw ValidationError("--listen '\(listen)' is not HOST:PORT (for example 127.0.0.1:8443)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level '\(logLevel)' is not one of trace, debug, info, notice, warning, error")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let (host, port) = Self.splitHostPort(listen)!
        let configuration = ControllerConfiguration(
            kubeconfig: kubeconfig, listenHost: host, listenPort: port, portFile: portFile)
        try await ControllerServer(configuration: configuration, logger: Logger(label: "mtv-controller")).run()
    }

    static func splitHostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        let host = String(text[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
