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
            throw CLIError(error.message)
        }
    }

    /// Runs `body` with a client, and always closes it.
    func withClient<T>(_ body: (KubernetesClient, KubernetesConfiguration) async throws -> T) async throws -> T {
        let configuration = try configuration()
        let client: KubernetesClient
        do {
            client = try KubernetesClient(configuration: configuration)
        } catch let error as KubernetesConfigurationError {
            throw CLIError(error.message)
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

/// An error for the person at the terminal: one line that says what is wrong and what to do.
public struct CLIError: Error, CustomStringConvertible {
    public var message: String

    /// Creates the error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// Rewrites errors from the layers below into messages for the command line.
    static func from(_ error: any Error) -> any Error {
        switch error {
        case let error as CLIError: return error
        case let error as KubernetesError:
            if error.isNotFound { return CLIError(error.message.isEmpty ? error.description : error.message) }
            if error.code == 0 { return CLIError("cannot reach the cluster: \(error.message)") }
            return CLIError("\(error.message) (\(error.reason))")
        case let error as KubernetesConfigurationError: return CLIError(error.message)
        default: return error
        }
    }
}
