import ArgumentParser
import Foundation
import MTVAPI

/// The settings of a hook, shared by `create hook` and `patch hook`.
struct HookOptions: ParsableArguments {
    @Option(help: "The image the hook's Job runs (create: default quay.io/kubev2v/hook-runner).")
    var image: String?

    @Option(help: "An Ansible playbook, as text or @FILE; the Job runs it with ansible-runner.")
    var playbook: String?

    @Option(help: "The service account the Job runs as, in the plan's target namespace.")
    var serviceAccount: String?

    @Option(help: "Seconds the hook may run before it fails the VM (0: no limit of its own).")
    var deadline: Int64?

    /// The largest playbook accepted: a ConfigMap carries at most 1 MiB with the plan and the VM beside it.
    static let playbookLimit = 512 * 1024

    func validate() throws {
        if let deadline, deadline < 0 { throw HookMessages.negativeDeadline }
        if let image, image.isEmpty || image.count > 512 || image.contains(where: \.isWhitespace) {
            throw CommonMessages.invalidValue(
                "--image", "an image reference is non-empty, without spaces, at most 512 characters")
        }
        if let serviceAccount, !serviceAccount.isEmpty, !Names.isValidObjectName(serviceAccount) {
            throw CommonMessages.invalidValue(
                "--service-account", "'\(serviceAccount)' is not a service account name (a DNS-1123 subdomain)")
        }
    }

    /// The playbook base64-encoded as the Hook stores it (its text, or the file after `@`); nil without the flag.
    func encodedPlaybook() throws -> String? {
        guard let playbook else { return nil }
        var data = Data(playbook.utf8)
        if playbook.hasPrefix("@") {
            let path = String(playbook.dropFirst())
            guard let handle = FileHandle(forReadingAtPath: path) else { throw HookMessages.unreadablePlaybook(path) }
            defer { try? handle.close() }
            data = try handle.read(upToCount: Self.playbookLimit + 1) ?? Data()
        }
        guard data.count <= Self.playbookLimit else {
            throw HookMessages.playbookTooLarge(data.count, limit: Self.playbookLimit)
        }
        return data.isEmpty ? "" : data.base64EncodedString()
    }

    /// Applies the given settings to a hook's spec.
    func apply(to spec: inout Hook.Spec) throws {
        if let image { spec.image = image }
        if let encoded = try encodedPlaybook() { spec.playbook = encoded.isEmpty ? nil : encoded }
        if let serviceAccount { spec.serviceAccount = serviceAccount.isEmpty ? nil : serviceAccount }
        if let deadline { spec.deadline = deadline == 0 ? nil : deadline }
    }

    /// Whether any setting is given.
    var isEmpty: Bool { image == nil && playbook == nil && serviceAccount == nil && deadline == nil }
}
