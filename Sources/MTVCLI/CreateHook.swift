import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv create hook NAME`: a Hook that plans run before or after a VM's migration.
struct CreateHook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Create a migration hook (an image, optionally with an Ansible playbook).",
        discussion: """
            A plan runs a hook as a Job in its target namespace: PreHook before the source instance is stopped, \
            PostHook once the new VirtualMachine runs. The Job finds plan.yml, workload.yml (the VM) and \
            playbook.yml in /tmp/hook. Attach hooks with create plan --pre-hook/--post-hook.
            """,
        aliases: ["hooks"])

    /// The image upstream's CLI gives hooks that name none.
    static let defaultImage = "quay.io/kubev2v/hook-runner"

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The hook's name.")
    var name: String?

    @Option(name: [.customLong("name"), .customShort("M")], help: "The hook's name (instead of the argument).")
    var nameOption: String?

    @OptionGroup var settings: HookOptions

    @Option(help: "Refused: AAP job templates are not run by this controller.")
    var aapJobTemplateId: Int?

    @Flag(help: "Print the hook instead of creating it.")
    var dryRun = false

    @Option(name: [.short, .long], help: "Output format for --dry-run: yaml or json.")
    var output: OutputFormat?

    func validate() throws {
        guard (name == nil) != (nameOption == nil) else { throw CommonMessages.nameOnce("hook") }
        guard aapJobTemplateId == nil else { throw HookMessages.aapNotRun }
        try DryRunOutput.check(output, dryRun: dryRun)
    }

    func run() async throws {
        let hookName = name ?? nameOption!
        try Names.check(hookName, what: "hook")
        var spec = Hook.Spec(image: Self.defaultImage)
        try settings.apply(to: &spec)
        try await global.withClient { client, configuration in
            let hook = Hook(metadata: ObjectMeta(name: hookName, namespace: configuration.namespace), spec: spec)
            if dryRun {
                print(Printer.document([try JSONValue(encoding: hook)], format: output ?? .yaml))
                return
            }
            do {
                _ = try await client.create(hook)
            } catch let error as KubernetesError where error.isAlreadyExists {
                throw CommonMessages.alreadyExists("hook", hookName, namespace: configuration.namespace)
            }
            print("hook/\(hookName) created")
        }
    }
}
