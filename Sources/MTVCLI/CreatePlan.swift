import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore
import Yams

/// `kubectl mtv create plan NAME`: a Plan with its network and storage maps (given, from pairs, or automatic).
struct CreatePlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Create a migration plan for EC2 instances.",
        discussion: """
            --vms takes instance names or IDs (comma-separated), a query ("where label.tier = 'web'", the language \
            of get inventory), or @FILE with a YAML or JSON list of {id, name, targetName, …}. Without mappings, \
            they are made from the subnets and volume types of these VMs only: the first subnet goes to the pod \
            network (or --default-target-network), the others are ignored; each EBS type goes to the EBS CSI \
            storage class that matches it (or --default-target-storage-class).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The plan's name.")
    var name: String?

    @Option(name: [.customLong("name"), .customShort("M")], help: "The plan's name (instead of the argument).")
    var nameOption: String?

    @Option(name: [.customShort("S"), .long], help: "The source EC2 provider: name or namespace/name.")
    var source: String

    @Option(name: [.customShort("T"), .long], help: "The target provider (default: host).")
    var target = "host"

    @Option(help: "The VMs: names or instance IDs, a 'where …' query, or @file.")
    var vms: String

    @Option(help: "The namespace the VMs are created in (default: the plan's).")
    var targetNamespace: String?

    @Option(help: "An existing network mapping.")
    var networkMapping: String?

    @Option(help: "An existing storage mapping.")
    var storageMapping: String?

    @Option(help: "Network pairs SUBNET:TARGET,… (TARGET: default, ignored, NAD or ns/NAD).")
    var networkPairs: String?

    @Option(help: "Storage pairs TYPE:CLASS,… (TYPE: an EBS volume type).")
    var storagePairs: String?

    @Option(
        name: [.customShort("N"), .long], help: "Where the first subnet goes: default (pod network), NAD or ns/NAD.")
    var defaultTargetNetwork: String?

    @Option(help: "The storage class for every volume type (must be EBS CSI).")
    var defaultTargetStorageClass: String?

    @Flag(help: "Do not convert the guest with virt-v2v.")
    var skipGuestConversion = false

    @Flag(help: "With --skip-guest-conversion: SATA disks, E1000E NICs and a USB tablet instead of VirtIO.")
    var useCompatibilityMode = false

    @Option(help: "The VMs' power state after migration: on, off or auto (as the source was).")
    var targetPowerState: String?

    @Option(help: "A Go template for PVC names ({{.VmName}}, {{.DiskIndex}}, …).")
    var pvcNameTemplate: String?

    @Flag(help: "Do not pin the VMs to the target availability zone's nodes.")
    var skipZoneNodeSelector = false

    @Option(name: [.customShort("L"), .long], help: "Labels for the VMs: k=v,…")
    var targetLabels: String?

    @Option(help: "A node selector for the VMs: k=v,…")
    var targetNodeSelector: String?

    @Option(help: "A description of the plan.")
    var description: String?

    @OptionGroup var inventory: InventoryOptions

    @Flag(help: "Print the plan and its mappings instead of creating them.")
    var dryRun = false

    @Option(name: [.short, .long], help: "Output format for --dry-run: yaml or json.")
    var output: OutputFormat?

    @Option(help: "Seconds to wait for the controller's preflight checks (0: do not wait).")
    var waitTimeout: Double = 20

    func validate() throws {
        guard (name == nil) != (nameOption == nil) else {
            throw ValidationError("give the plan's name once: as the argument or with --name")
        }
        if networkMapping != nil, networkPairs != nil {
            throw ValidationError(
                "--network-mapping and --network-pairs cannot be combined: use an existing mapping or pairs")
        }
        if storageMapping != nil, storagePairs != nil {
            throw ValidationError(
                "--storage-mapping and --storage-pairs cannot be combined: use an existing mapping or pairs")
        }
        if networkMapping != nil, defaultTargetNetwork != nil {
            throw ValidationError("--default-target-network has no effect with --network-mapping; drop one of them")
        }
        if storageMapping != nil, defaultTargetStorageClass != nil {
            throw ValidationError(
                "--default-target-storage-class has no effect with --storage-mapping; drop one of them")
        }
        if useCompatibilityMode, !skipGuestConversion {
            throw ValidationError(
                "--use-compatibility-mode applies only with --skip-guest-conversion (converted guests get VirtIO)")
        }
        if let targetPowerState, !["on", "off", "auto"].contains(targetPowerState) {
            throw ValidationError("--target-power-state must be on, off or auto")
        }
        guard !vms.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--vms is empty") }
        if let network = defaultTargetNetwork {
            let parts = network.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2, parts.allSatisfy(Names.isValidObjectName) else {
                throw ValidationError(
                    "--default-target-network '\(network)' is not default, a network attachment name or namespace/name")
            }
        }
        guard waitTimeout >= 0 else { throw ValidationError("--wait-timeout cannot be negative") }
        try DryRunOutput.check(output, dryRun: dryRun)
    }

    func run() async throws {
        let planName = name ?? nameOption!
        try Names.check(planName, what: "plan")
        let labels = try KeyValues.parse(targetLabels, flag: "--target-labels")
        let nodeSelector = try KeyValues.parse(targetNodeSelector, flag: "--target-node-selector")
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            let targetNamespace = targetNamespace ?? namespace
            guard TargetName.isValid(targetNamespace) else {
                throw CLIError(
                    "--target-namespace '\(targetNamespace)' is not a valid namespace name (a DNS-1123 label)")
            }
            if (try? await client.get(Plan.self, name: planName, namespace: namespace)) != nil {
                throw CLIError("plan \(planName) already exists in namespace \(namespace)")
            }
            let sourceProvider = try await ProviderLookup.resolve(source, namespace: namespace, client: client)
            let targetProvider = try await ProviderLookup.resolve(target, namespace: namespace, client: client)
            guard targetProvider.spec.type == "openshift" else {
                throw CLIError(
                    "--target \(target) is of type \(targetProvider.spec.type); the target must be an openshift provider such as host"
                )
            }
            let reader = try await InventoryReader.open(
                client: client, configuration: configuration, provider: sourceProvider.metadata.name ?? "",
                namespace: sourceProvider.metadata.namespace ?? namespace, options: inventory)
            let selected = try await PlanInputs.selectVMs(vms, reader: reader)
            let providers = ProviderPair(source: sourceProvider.reference, destination: targetProvider.reference)

            var maps: [(MappingKind, JSONValue)] = []
            let networkReference: ObjectReference
            if let networkMapping {
                networkReference = try await PlanInputs.existing(
                    .network, networkMapping, namespace: namespace, client: client)
            } else {
                let subnets = selected.flatMap { $0.record["nics"]?.arrayValue ?? [] }.compactMap {
                    $0["subnetId"]?.stringValue
                }
                let pairs: [MapSpec<NetworkMap.Destination>.Pair]
                if let networkPairs {
                    let known = try await reader.records("networks").filter { $0["networkType"] == "subnet" }
                    pairs = try MappingPairs.network(networkPairs, subnets: known, targetNamespace: targetNamespace)
                } else {
                    var first = AutomaticMapping.NetworkTarget(defaultTargetNetwork ?? "default")
                    if case .multus(nil, let nad) = first { first = .multus(namespace: targetNamespace, name: nad) }
                    pairs = AutomaticMapping.networkPairs(subnets: subnets, first: first)
                }
                let mapName = "\(planName)-network" + (networkPairs == nil ? "-map" : "")
                networkReference = ObjectReference(name: mapName, namespace: namespace)
                maps.append(
                    (
                        .network,
                        try JSONValue(
                            encoding: NetworkMap(
                                metadata: ObjectMeta(name: mapName, namespace: namespace),
                                spec: .init(provider: providers, map: pairs)))
                    ))
            }
            let storageReference: ObjectReference
            if let storageMapping {
                storageReference = try await PlanInputs.existing(
                    .storage, storageMapping, namespace: namespace, client: client)
            } else {
                let classes = try await PlanInputs.storageClasses(client)
                var pairs: [MapSpec<StorageMap.Destination>.Pair]
                if let storagePairs {
                    pairs = try MappingPairs.storage(storagePairs, classes: classes, requireEBS: true)
                } else {
                    let types = selected.flatMap { $0.record["disks"]?.arrayValue ?? [] }.compactMap {
                        $0["volumeType"]?.stringValue
                    }
                    do {
                        pairs = try AutomaticMapping.storagePairs(
                            volumeTypes: types, classes: classes, defaultClass: defaultTargetStorageClass)
                    } catch let error as AutomaticMapping.StorageError {
                        throw CLIError(error.message)
                    }
                    for index in pairs.indices {
                        pairs[index].destination.volumeMode = "Block"
                        pairs[index].destination.accessMode = "ReadWriteOnce"
                    }
                }
                let mapName = "\(planName)-storage" + (storagePairs == nil ? "-map" : "")
                storageReference = ObjectReference(name: mapName, namespace: namespace)
                maps.append(
                    (
                        .storage,
                        try JSONValue(
                            encoding: StorageMap(
                                metadata: ObjectMeta(name: mapName, namespace: namespace),
                                spec: .init(provider: providers, map: pairs)))
                    ))
            }

            var spec = Plan.Spec(
                provider: providers, targetNamespace: targetNamespace,
                map: Plan.Maps(network: networkReference, storage: storageReference), vms: selected.map(\.vm))
            spec.description = description
            spec.type = "cold"
            spec.skipGuestConversion = skipGuestConversion
            spec.useCompatibilityMode = useCompatibilityMode
            spec.skipZoneNodeSelector = skipZoneNodeSelector ? true : nil
            spec.targetPowerState = targetPowerState
            spec.pvcNameTemplate = pvcNameTemplate
            spec.targetLabels = labels
            spec.targetNodeSelector = nodeSelector
            let plan = Plan(metadata: ObjectMeta(name: planName, namespace: namespace), spec: spec)
            if self.targetNamespace == nil { note("No target namespace specified, using plan namespace: \(namespace)") }

            if dryRun {
                print(Printer.document(maps.map(\.1) + [try JSONValue(encoding: plan)], format: output ?? .yaml))
                return
            }
            try await PlanInputs.create(plan: plan, maps: maps, client: client)
            for (kind, map) in maps {
                print("\(kind.kindName.lowercased())/\(map[path: ["metadata", "name"]]?.stringValue ?? "") created")
            }
            print(
                "plan/\(planName) created with \(selected.count) VM(s): "
                    + selected.map { $0.record["name"]?.stringValue ?? "" }.joined(separator: ", "))
            if waitTimeout > 0 {
                try await PlanInputs.reportReadiness(
                    client: client, name: planName, namespace: namespace, timeout: waitTimeout)
            }
        }
    }
}

/// The pieces `create plan` gathers and creates.
enum PlanInputs {
    /// The cluster's storage classes as the mapping code sees them.
    static func storageClasses(_ client: KubernetesClient) async throws -> [AutomaticMapping.StorageClassInfo] {
        try await client.list(StorageClass.self).items.map {
            AutomaticMapping.StorageClassInfo(
                name: $0.metadata.name ?? "", provisioner: $0.provisioner,
                isDefault: $0.metadata.annotations?["storageclass.kubernetes.io/is-default-class"] == "true")
        }
    }

    /// A reference to an existing mapping (it must exist).
    static func existing(
        _ kind: MappingKind, _ text: String, namespace: String, client: KubernetesClient
    ) async throws
        -> ObjectReference
    {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        let (mapNamespace, mapName) = parts.count == 2 ? (parts[0], parts[1]) : (namespace, parts[0])
        do {
            _ = try await client.get(kind.resource, name: mapName, namespace: mapNamespace)
        } catch let error as KubernetesError where error.isNotFound {
            throw CLIError(
                "\(kind.rawValue) mapping \(mapNamespace)/\(mapName) not found (see kubectl mtv get mappings)")
        }
        return ObjectReference(name: mapName, namespace: mapNamespace)
    }

    /// The VMs `--vms` names, each with its inventory record; an unknown or ambiguous VM is an error.
    static func selectVMs(_ text: String, reader: InventoryReader) async throws -> [(vm: Plan.VM, record: JSONValue)] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("where ") {
            note("Fetching VMs from provider '\(reader.provider.metadata.name ?? "")' using query: \(trimmed)")
            let records = try await reader.records("vms", query: trimmed)
            guard !records.isEmpty else {
                throw CLIError(
                    "no VMs match the query \"\(trimmed)\"; check it with kubectl mtv get inventory ec2-instance "
                        + "\(reader.provider.metadata.name ?? "") -q \"\(trimmed)\"")
            }
            note("Found \(records.count) VM(s) matching the query")
            return records.map { (Plan.VM(id: $0["id"]?.stringValue, name: $0["name"]?.stringValue), $0) }
        }
        let inventory = try await reader.records("vms")
        let requested: [Plan.VM]
        if trimmed.hasPrefix("@") {
            requested = try vmFile(String(trimmed.dropFirst()))
        } else {
            requested = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            .map { Plan.VM(name: $0) }
        }
        guard !requested.isEmpty else { throw CLIError("--vms names no VM") }
        var seen = Set<String>()
        return try requested.map { request in
            let key = request.id ?? request.name ?? ""
            let byID = inventory.filter { $0["id"]?.stringValue == key }
            let byName = request.id == nil ? inventory.filter { $0["name"]?.stringValue == key } : []
            guard let record = byID.first ?? byName.first else {
                throw CLIError(
                    "VM '\(key)' is not in the inventory of provider \(reader.provider.metadata.name ?? "") "
                        + "(see kubectl mtv get inventory ec2-instance \(reader.provider.metadata.name ?? ""))")
            }
            guard Set((byID + byName).compactMap { $0["id"]?.stringValue }).count == 1 else {
                throw CLIError(
                    "more than one instance is named '\(key)': "
                        + byName.compactMap { $0["id"]?.stringValue }.joined(separator: ", ") + "; use the instance ID")
            }
            let id = record["id"]?.stringValue ?? ""
            guard seen.insert(id).inserted else { throw CLIError("VM '\(key)' (\(id)) is listed twice in --vms") }
            var vm = request
            vm.id = id
            vm.name = record["name"]?.stringValue
            return (vm, record)
        }
    }

    /// A YAML or JSON list of plan VMs (what `kubectl mtv get plan -o yaml` shows under spec.vms).
    static func vmFile(_ path: String) throws -> [Plan.VM] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the VM file \(path)")
        }
        do {
            let value = try JSONValue(
                parsing: Data(
                    try JSONSerialization.data(
                        withJSONObject: try Yams.load(yaml: String(decoding: data, as: UTF8.self)) ?? [],
                        options: [.fragmentsAllowed])))
            return try value.decode()
        } catch {
            throw CLIError(
                "the VM file \(path) is not a YAML or JSON list of VMs ({id, name, targetName, …}): \(error)")
        }
    }

    /// Creates the maps, then the plan, then makes the plan own the maps; on failure removes what it created.
    static func create(plan: Plan, maps: [(MappingKind, JSONValue)], client: KubernetesClient) async throws {
        let namespace = plan.metadata.namespace ?? ""
        var created: [(MappingKind, String)] = []
        do {
            for (kind, map) in maps {
                let name = map[path: ["metadata", "name"]]?.stringValue ?? ""
                _ = try await client.create(kind.resource, map, namespace: namespace)
                created.append((kind, name))
            }
            let made = try await client.create(plan)
            let owner: JSONValue = [
                [
                    "apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
                    "name": .string(made.metadata.name ?? ""),
                    "uid": .string(made.metadata.uid ?? ""), "controller": true, "blockOwnerDeletion": true,
                ]
            ]
            for (kind, name) in created {
                _ = try await client.patch(
                    kind.resource, name: name, namespace: namespace,
                    .merge(["metadata": ["ownerReferences": owner]]))
            }
        } catch {
            for (kind, name) in created { try? await client.delete(kind.resource, name: name, namespace: namespace) }
            if let error = error as? KubernetesError, error.isAlreadyExists {
                throw CLIError("\(error.message); choose another plan name or delete the old objects")
            }
            throw error
        }
    }

    /// Waits for the controller's preflight checks and prints Ready or what blocks the plan.
    static func reportReadiness(client: KubernetesClient, name: String, namespace: String, timeout: Double) async throws
    {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let plan = try await client.get(Plan.self, name: name, namespace: namespace)
            if let conditions = plan.status?.conditions, plan.status?.observedGeneration == plan.metadata.generation,
                !conditions.isEmpty
            {
                print(PlanView.readiness(conditions))
                return
            }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        print("The controller has not checked the plan yet; see kubectl mtv describe plan \(name)")
    }
}

/// `k=v,k2=v2` flags.
enum KeyValues {
    static func parse(_ text: String?, flag: String) throws -> [String: String]? {
        guard let text else { return nil }
        var result: [String: String] = [:]
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw CLIError("\(flag): '\(item)' is not key=value") }
            result[parts[0]] = parts[1]
        }
        guard !result.isEmpty else { throw CLIError("\(flag) is empty; give key=value pairs") }
        return result
    }
}

/// An informational line on standard error (stdout stays for results).
func note(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}
