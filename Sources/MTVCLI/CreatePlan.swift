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

    @Option(help: "A hook every VM runs before its source instance is stopped (a Hook in the plan's namespace).")
    var preHook: String?

    @Option(help: "A hook every VM runs once its VirtualMachine exists and runs.")
    var postHook: String?

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
            throw CommonMessages.nameOnce("plan")
        }
        if networkMapping != nil, networkPairs != nil {
            throw PlanMessages.mappingAndPairs(.network)
        }
        if storageMapping != nil, storagePairs != nil {
            throw PlanMessages.mappingAndPairs(.storage)
        }
        if networkMapping != nil, defaultTargetNetwork != nil {
            throw PlanMessages.defaultWithMapping("--default-target-network", .network)
        }
        if storageMapping != nil, defaultTargetStorageClass != nil {
            throw PlanMessages.defaultWithMapping("--default-target-storage-class", .storage)
        }
        if useCompatibilityMode, !skipGuestConversion {
            throw PlanMessages.compatibilityModeNeedsSkip
        }
        if let targetPowerState, !["on", "off", "auto"].contains(targetPowerState) {
            throw PlanMessages.powerState
        }
        guard !vms.trimmingCharacters(in: .whitespaces).isEmpty else { throw PlanMessages.vmsEmpty }
        if let network = defaultTargetNetwork {
            let parts = network.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2, parts.allSatisfy(Names.isValidObjectName) else {
                throw PlanMessages.badDefaultNetwork(network)
            }
        }
        guard waitTimeout >= 0 else { throw CommonMessages.negativeWaitTimeout }
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
                throw PlanMessages.badTargetNamespace(targetNamespace)
            }
            if (try? await client.get(Plan.self, name: planName, namespace: namespace)) != nil {
                throw PlanMessages.alreadyExists(planName, namespace: namespace)
            }
            let sourceProvider = try await ProviderLookup.resolve(source, namespace: namespace, client: client)
            let targetProvider = try await ProviderLookup.resolve(target, namespace: namespace, client: client)
            guard targetProvider.spec.type == "openshift" else {
                throw PlanMessages.targetNotOpenShift(target, type: targetProvider.spec.type)
            }
            let reader = try await InventoryReader.open(
                client: client, configuration: configuration, provider: sourceProvider.metadata.name ?? "",
                namespace: sourceProvider.metadata.namespace ?? namespace, options: inventory)
            var selected = try await PlanInputs.selectVMs(vms, reader: reader)
            let hooks = try await PlanInputs.hookReferences(
                pre: preHook, post: postHook, namespace: namespace, client: client)
            for index in selected.indices where !hooks.isEmpty { selected[index].vm.hooks = hooks }
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
                        throw CommonMessages.passthrough(error.message)
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
