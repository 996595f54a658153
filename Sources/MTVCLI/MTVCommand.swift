import ArgumentParser

/// The `kubectl mtv` root command.
public struct MTVCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kubectl-mtv",
        abstract: "Migrate AWS EC2 instances to KubeVirt virtual machines.",
        version: "0.1.0"
    )

    public init() {}
}
