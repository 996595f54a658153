import ArgumentParser

/// The `kubectl mtv` root command.
public struct MTVCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kubectl-mtv",
        abstract: "Migrate AWS EC2 instances to KubeVirt virtual machines.",
        version: MTVCommand.version,
        subcommands: [
            Create.self, Get.self, Describe.self, Patch.self, Delete.self, Start.self, Cancel.self, Archive.self,
            Unarchive.self,
            Cleanup.self, Version.self,
        ])

    /// The plugin's version.
    public static let version = "0.1.0"

    public init() {}

    /// Parses the process's arguments and runs the command, awaiting asynchronous subcommands.
    public static func start() async {
        let root: any AsyncParsableCommand.Type = MTVCommand.self
        await root.main(nil)
    }

    /// `kubectl mtv create …`
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create providers, mappings, hooks and plans.",
            subcommands: [CreateProvider.self, CreateMapping.self, CreateHook.self, CreatePlan.self])
    }

    /// `kubectl mtv get …`
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List resources.",
            subcommands: [GetProvider.self, GetMapping.self, GetHook.self, GetPlan.self, GetInventory.self])
    }

    /// `kubectl mtv describe …`
    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a resource in detail.",
            subcommands: [DescribeProvider.self, DescribeMapping.self, DescribeHook.self, DescribePlan.self])
    }

    /// `kubectl mtv patch …`
    struct Patch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a resource.", subcommands: [PatchProvider.self, PatchHook.self, PatchPlan.self])
    }

    /// `kubectl mtv delete …`
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete resources.",
            subcommands: [DeleteProvider.self, DeleteMapping.self, DeleteHook.self, DeletePlan.self])
    }

    /// `kubectl mtv start …`
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start migrations.", subcommands: [StartPlan.self])
    }

    /// `kubectl mtv cancel …`
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel migrations.", subcommands: [CancelPlan.self])
    }

    /// `kubectl mtv archive …`
    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Archive plans.", subcommands: [ArchivePlan.self])
    }

    /// `kubectl mtv unarchive …`
    struct Unarchive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unarchive plans.", subcommands: [UnarchivePlan.self])
    }

    /// `kubectl mtv version`
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the plugin's version.")

        func run() {
            print("kubectl-mtv \(MTVCommand.version)")
        }
    }
}
