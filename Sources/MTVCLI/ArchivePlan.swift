import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv archive plan NAME...` and `unarchive plan NAME...`.
struct ArchivePlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Archive plans (their migrations are cleaned up).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Plan names.")
    var names: [String] = []

    func validate() throws {
        guard !names.isEmpty else { throw CommonMessages.noNames("plans", verb: "archive") }
    }

    func run() async throws {
        try await PlanView.setArchived(true, names: names, global: global)
    }
}

/// `kubectl mtv unarchive plan NAME...`.
struct UnarchivePlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Unarchive plans.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Plan names.")
    var names: [String] = []

    func validate() throws {
        guard !names.isEmpty else { throw CommonMessages.noNames("plans", verb: "unarchive") }
    }

    func run() async throws {
        try await PlanView.setArchived(false, names: names, global: global)
    }
}
