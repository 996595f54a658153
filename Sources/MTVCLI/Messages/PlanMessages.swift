import ArgumentParser

/// Messages of the plan commands: create, get, patch, start, cancel, archive and delete, and the VMs they name.
enum PlanMessages {
    /// `--target-power-state` other than on, off or auto.
    static let powerState = ValidationError("--target-power-state must be on, off or auto")

    /// `create plan --vms` blank.
    static let vmsEmpty = ValidationError("--vms is empty; name at least one VM")

    /// `--vms` that, split at commas, names nothing, or a VM file with an empty list.
    static let noVMs = CLIError("--vms names no VM; name at least one VM")

    /// `create plan --use-compatibility-mode` without `--skip-guest-conversion`.
    static let compatibilityModeNeedsSkip = ValidationError(
        "--use-compatibility-mode applies only with --skip-guest-conversion (converted guests get VirtIO)")

    /// `patch plan --use-compatibility-mode true` on a plan that converts its guests.
    static let patchedCompatibilityModeNeedsSkip = CLIError(
        "--use-compatibility-mode true applies only with --skip-guest-conversion true (converted guests get VirtIO)")

    /// A negative or zero `delete plan --timeout`.
    static let nonPositiveTimeout = ValidationError("--timeout must be positive")

    /// `get plan --vms|--disk` without exactly one plan.
    static let detailNeedsOnePlan = ValidationError("--vms and --disk need exactly one plan name")

    /// `get plan --vms|--disk` with `-o`.
    static let detailIsTable = ValidationError("--vms and --disk print tables; drop -o")

    /// An existing mapping and pairs of the same kind.
    static func mappingAndPairs(_ kind: MappingKind) -> ValidationError {
        ValidationError(
            "--\(kind.rawValue)-mapping and --\(kind.rawValue)-pairs cannot be combined: use an existing mapping or pairs"
        )
    }

    /// A default for automatic mappings next to an existing mapping.
    static func defaultWithMapping(_ defaultFlag: String, _ kind: MappingKind) -> ValidationError {
        ValidationError("\(defaultFlag) has no effect with --\(kind.rawValue)-mapping; drop one of them")
    }

    /// `--default-target-network` that is no network reference.
    static func badDefaultNetwork(_ network: String) -> ValidationError {
        ValidationError(
            "--default-target-network '\(network)' is not default, a network attachment name or namespace/name")
    }

    /// `--target-namespace` that is no namespace name.
    static func badTargetNamespace(_ namespace: String) -> CLIError {
        CLIError("--target-namespace '\(namespace)' is not a valid namespace name (a DNS-1123 label)")
    }

    /// `--target` naming a provider that is not an openshift provider.
    static func targetNotOpenShift(_ target: String, type: String) -> CLIError {
        CLIError("--target \(target) is of type \(type); the target must be an openshift provider such as host")
    }

    /// Plans that are not there; no namespace means every namespace.
    static func notFound(_ names: [String], namespace: String?) -> CLIError {
        CommonMessages.notFound("plan", names, in: namespace.map { [$0] } ?? [], list: "plans")
    }

    /// `create plan` with a name that is taken.
    static func alreadyExists(_ name: String, namespace: String) -> CLIError {
        CommonMessages.alreadyExists("plan", name, namespace: namespace)
    }

    /// A plan object `create plan` makes (a mapping) exists already; the API server's message first.
    static func objectsExist(_ message: String) -> CLIError {
        CLIError("\(message); choose another plan name or delete the old objects")
    }

    /// `patch plan` on a running plan.
    static func running(_ name: String) -> CLIError {
        CLIError("plan \(name) is running; cancel it or wait for it to finish before changing it")
    }

    /// `start plan` on a plan that is not Ready; the detail lists its blocking conditions.
    static func notReady(_ name: String, readiness: String) -> CLIError {
        CLIError("migration plan '\(name)' is not ready", detail: readiness)
    }

    /// `start plan` on an archived plan.
    static func archived(_ name: String) -> CLIError {
        CLIError("plan '\(name)' is archived; unarchive it first")
    }

    /// `start plan` on a plan with a migration under way.
    static func alreadyRunning(_ name: String, migration: String) -> CLIError {
        CLIError("plan '\(name)' already has a running migration (\(migration))")
    }

    /// `start plan` on a plan that has succeeded.
    static func alreadySucceeded(_ name: String) -> CLIError {
        CLIError("plan '\(name)' has already succeeded; create a new plan to migrate these VMs again")
    }

    /// `cancel plan --vms` naming a VM the plan does not hold.
    static func vmNotInPlan(_ vm: String, plan: String, known: [String]) -> CLIError {
        CLIError("the VM '\(vm)' is not in plan \(plan) (its VMs: \(known.joined(separator: ", ")))")
    }

    /// `cancel plan` on a plan without a running migration.
    static func noRunningMigration(_ name: String) -> CLIError {
        CLIError("plan \(name) has no running migration to cancel")
    }

    /// `delete plan` waited in vain for the controller to confirm the archive.
    static func archiveNotConfirmed(_ name: String, seconds: Int) -> CLIError {
        CLIError(
            "plan \(name) was archived but the controller has not confirmed it within "
                + "\(seconds) s; is mtv-controller running? (--skip-archive deletes at once)")
    }

    /// A `--vms` query that matches nothing.
    static func noVMsMatch(_ query: String, provider: String) -> CLIError {
        CLIError(
            "no VMs match the query \"\(query)\"; check it with kubectl mtv get inventory ec2-instance "
                + "\(provider) -q \"\(query)\"")
    }

    /// A `--vms` entry that is not in the provider's inventory.
    static func vmNotInInventory(_ vm: String, provider: String) -> CLIError {
        CLIError(
            "the VM '\(vm)' is not in the inventory of provider \(provider) "
                + "(see kubectl mtv get inventory ec2-instance \(provider))")
    }

    /// A `--vms` name that more than one instance carries.
    static func ambiguousVM(_ vm: String, ids: [String]) -> CLIError {
        CLIError("more than one instance is named '\(vm)': \(ids.joined(separator: ", ")); use the instance ID")
    }

    /// A VM `--vms` names twice.
    static func vmTwice(_ vm: String, id: String) -> CLIError {
        CLIError("the VM '\(vm)' (\(id)) is listed twice in --vms")
    }

    /// `--vms @FILE` that cannot be read.
    static func unreadableVMFile(_ path: String) -> CLIError {
        CLIError("cannot read the VM file \(path)")
    }

    /// `--vms @FILE` that is no list of VMs.
    static func badVMFile(_ path: String, _ reason: String) -> CLIError {
        CLIError("the VM file \(path) is not a YAML or JSON list of VMs ({id, name, targetName, …}): \(reason)")
    }

    /// Every entry, with sample arguments, for the catalogue test.
    static var all: [any Error] {
        [
            powerState, vmsEmpty, noVMs, compatibilityModeNeedsSkip, patchedCompatibilityModeNeedsSkip,
            nonPositiveTimeout, detailNeedsOnePlan, detailIsTable, mappingAndPairs(.network),
            defaultWithMapping("--default-target-storage-class", .storage), badDefaultNetwork("a/b/c"),
            badTargetNamespace("Bad_NS"), targetNotOpenShift("my-ec2", type: "ec2"),
            notFound(["a", "b"], namespace: nil),
            alreadyExists("existing", namespace: "ns"), objectsExist("networkmaps \"p-network-map\" already exists"),
            running("p"), notReady("p", readiness: "The plan is not ready:"), archived("p"),
            alreadyRunning("p", migration: "p-x7k2q"), alreadySucceeded("p"),
            vmNotInPlan("web-9", plan: "p", known: ["web-1 (i-1)"]), noRunningMigration("p"),
            archiveNotConfirmed("p", seconds: 60), noVMsMatch("where name = 'x'", provider: "my-ec2"),
            vmNotInInventory("web-9", provider: "my-ec2"), ambiguousVM("web", ids: ["i-1", "i-2"]),
            vmTwice("web-2", id: "i-2"), unreadableVMFile("/nonexistent/vms.yaml"),
            badVMFile("vms.yaml", "unexpected end of stream"),
        ]
    }
}
