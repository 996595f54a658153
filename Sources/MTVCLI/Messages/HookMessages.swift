import ArgumentParser

/// Messages of the hook commands and of the plan flags that name hooks.
enum HookMessages {
    /// `create hook --aap-job-template-id`: AAP hooks are accepted upstream and never run here.
    static let aapNotRun = ValidationError(
        "--aap-job-template-id: AAP hooks are not run by this controller; give --image (and --playbook) instead")

    /// A negative `--deadline`.
    static let negativeDeadline = ValidationError("--deadline cannot be negative (0 means no limit of its own)")

    /// `--playbook @FILE` that cannot be read.
    static func unreadablePlaybook(_ path: String) -> CLIError {
        CLIError("--playbook: cannot read \(path)")
    }

    /// A playbook larger than a ConfigMap can carry.
    static func playbookTooLarge(_ bytes: Int, limit: Int) -> CLIError {
        CLIError(
            "--playbook is \(bytes) bytes; a hook's playbook may be at most \(limit) bytes (it travels in a ConfigMap)")
    }

    /// `delete hook` of a hook that plans still name.
    static func inUse(_ name: String, plans: [String]) -> CLIError {
        CLIError(
            "hook \(name) is used by plan(s) \(plans.joined(separator: ", ")); remove it from them or delete them first"
        )
    }

    /// `create plan --pre-hook|--post-hook` naming a hook that does not exist.
    static func unknownHook(_ flag: String, _ name: String, namespace: String) -> CLIError {
        CLIError("\(flag): hook '\(name)' not found in namespace \(namespace) (see kubectl mtv get hooks)")
    }

    static var all: [any Error] {
        [
            aapNotRun, negativeDeadline, unreadablePlaybook("/tmp/p.yml"), playbookTooLarge(600_000, limit: 524_288),
            inUse("h", plans: ["p"]), unknownHook("--pre-hook", "h", namespace: "ns"),
        ]
    }
}
