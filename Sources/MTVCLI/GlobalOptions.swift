import ArgumentParser
import Foundation
import KubernetesClient

/// The kubeconfig flags every command shares, as kubectl spells them.
public struct GlobalOptions: ParsableArguments {
    @Option(help: "Path to the kubeconfig file.")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use.")
    var context: String?

    @Option(name: [.short, .long], help: "The namespace (default: the context's namespace).")
    var namespace: String?

    @Flag(help: "No colours in output (also when NO_COLOR is set).")
    var noColor = false

    public init() {}

    /// The resolved cluster configuration. Every command that talks to the cluster reads it first, so this is
    /// also where the command decides, once, whether its tables colour their state columns.
    func configuration() throws -> KubernetesConfiguration {
        TableWriter.colors = colors
        do {
            return try KubernetesConfiguration.load(kubeconfig: kubeconfig, context: context, namespace: namespace)
        } catch let error as KubernetesConfigurationError {
            throw CommonMessages.passthrough(error.message)
        }
    }

    /// Runs `body` with a client, and always closes it.
    func withClient<T>(_ body: (KubernetesClient, KubernetesConfiguration) async throws -> T) async throws -> T {
        let configuration = try configuration()
        let client: KubernetesClient
        do {
            client = try KubernetesClient(configuration: configuration)
        } catch let error as KubernetesConfigurationError {
            throw CommonMessages.passthrough(error.message)
        }
        do {
            let result = try await body(client, configuration)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw CLIError.from(error)
        }
    }

    /// Whether output may use colour.
    var colors: Bool {
        !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
    }
}

/// An error for the person at the terminal: one line that says what is wrong and what to do, and for a few a block
/// of detail under it (a query's caret, a plan's conditions). The lines live in `Messages/`, one catalogue per area.
public struct CLIError: Error, CustomStringConvertible {
    /// The one line.
    public var message: String
    /// The block under the line, if any.
    public var detail: String?

    /// Creates the error.
    public init(_ message: String, detail: String? = nil) {
        self.message = message
        self.detail = detail
    }

    public var description: String { detail.map { "\(message):\n\($0)" } ?? message }

    /// Rewrites errors from the layers below into messages for the command line.
    static func from(_ error: any Error) -> any Error {
        switch error {
        case let error as CLIError: return error
        case let error as KubernetesError:
            if error.isNotFound {
                return CommonMessages.passthrough(error.message.isEmpty ? error.description : error.message)
            }
            if error.code == 0 { return CommonMessages.clusterUnreachable(error.message) }
            return CommonMessages.clusterRefused(error.message, reason: error.reason)
        case let error as KubernetesConfigurationError: return CommonMessages.passthrough(error.message)
        default: return error
        }
    }
}
