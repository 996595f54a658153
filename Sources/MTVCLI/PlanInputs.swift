import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore
import Yams

/// The pieces `create plan` gathers and creates.
enum PlanInputs {
    /// The hook references `--pre-hook` and `--post-hook` give every VM; each hook must exist in `namespace`.
    static func hookReferences(
        pre: String?, post: String?, namespace: String, client: KubernetesClient
    ) async throws -> [Plan.HookReference] {
        var references: [Plan.HookReference] = []
        for (flag, name, step) in [("--pre-hook", pre, Hook.Step.preHook), ("--post-hook", post, .postHook)] {
            guard let name else { continue }
            do {
                _ = try await client.get(Hook.self, name: name, namespace: namespace)
            } catch let error as KubernetesError where error.isNotFound {
                throw HookMessages.unknownHook(flag, name, namespace: namespace)
            }
            references.append(
                Plan.HookReference(hook: ObjectReference(name: name, namespace: namespace), step: step.rawValue))
        }
        return references
    }

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
            throw MappingMessages.notFound(mapName, kind: kind, namespace: mapNamespace)
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
                throw PlanMessages.noVMsMatch(trimmed, provider: reader.provider.metadata.name ?? "")
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
        guard !requested.isEmpty else { throw PlanMessages.noVMs }
        var seen = Set<String>()
        return try requested.map { request in
            let key = request.id ?? request.name ?? ""
            let byID = inventory.filter { $0["id"]?.stringValue == key }
            let byName = request.id == nil ? inventory.filter { $0["name"]?.stringValue == key } : []
            guard let record = byID.first ?? byName.first else {
                throw PlanMessages.vmNotInInventory(key, provider: reader.provider.metadata.name ?? "")
            }
            guard Set((byID + byName).compactMap { $0["id"]?.stringValue }).count == 1 else {
                throw PlanMessages.ambiguousVM(key, ids: byName.compactMap { $0["id"]?.stringValue })
            }
            let id = record["id"]?.stringValue ?? ""
            guard seen.insert(id).inserted else { throw PlanMessages.vmTwice(key, id: id) }
            var vm = request
            vm.id = id
            vm.name = record["name"]?.stringValue
            return (vm, record)
        }
    }

    /// A YAML or JSON list of plan VMs (what `kubectl mtv get plan -o yaml` shows under spec.vms).
    static func vmFile(_ path: String) throws -> [Plan.VM] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlanMessages.unreadableVMFile(path)
        }
        do {
            let value = try JSONValue(
                parsing: Data(
                    try JSONSerialization.data(
                        withJSONObject: try Yams.load(yaml: String(decoding: data, as: UTF8.self)) ?? [],
                        options: [.fragmentsAllowed])))
            return try value.decode()
        } catch {
            throw PlanMessages.badVMFile(path, "\(error)")
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
                throw PlanMessages.objectsExist(error.message)
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
