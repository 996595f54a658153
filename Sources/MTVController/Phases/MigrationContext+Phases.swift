import AWSClient
import KubernetesClient
import MTVAPI
import MigrationCore

/// What several phases share: the instance as AWS reports it, tags, owned objects, sizes.
extension MigrationContext {
    /// The instance of `id` from this tick's observations (nil until described); gone or terminating is permanent.
    func instance(_ id: String, _ seen: Observations) throws -> Instance? {
        guard let instance = try seen.resource(id, in: seen.instances, "instance \(id)") else { return nil }
        if ["terminated", "shutting-down"].contains(instance.state.name) {
            throw PermanentFailure(description: "instance \(id) is \(instance.state.name)")
        }
        return instance
    }

    /// Tags that tie an AWS resource to this migration and its source VM (slide 16's keys plus the scope).
    func tags(_ vm: VMStatus) -> [Tag] {
        [
            Tag(MigrationLabels.vmID, vm.id ?? ""), Tag(MigrationLabels.vmName, vm.name ?? vm.id ?? ""),
            Tag(MigrationLabels.migrationUID, migrationUID), Tag(MigrationLabels.planUID, plan.metadata.uid ?? ""),
            Tag(MigrationLabels.clusterUID, clusterUID),
        ]
    }

    /// The filters that find the snapshots this migration made of one instance.
    func snapshotFilters(instance id: String) -> [EC2Filter] {
        [
            EC2Filter("tag:\(MigrationLabels.migrationUID)", [migrationUID]),
            EC2Filter("tag:\(MigrationLabels.vmID)", [id]),
        ]
    }

    /// The builder of a VM's Kubernetes objects; a VM without an inventory record cannot have them.
    func requireBuilder(for vm: VMStatus) throws -> TargetBuilder {
        guard let builder = builder(for: vm) else {
            throw PermanentFailure(description: "instance \(vm.id ?? "") has no inventory record")
        }
        return builder
    }

    /// Creates an object this migration owns; returns the existing one when an earlier attempt made it, and
    /// fails when the name belongs to something else.
    @discardableResult
    func createOwned(_ resource: ResourceType, _ object: JSONValue, namespace: String?) async throws -> JSONValue {
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        do {
            return try await client.create(resource, object, namespace: namespace)
        } catch let error as KubernetesError where error.isAlreadyExists {
            let existing = try await client.get(resource, name: name, namespace: namespace)
            guard existing[path: ["metadata", "labels", MigrationLabels.migrationUID]]?.stringValue == migrationUID
            else {
                throw PermanentFailure(
                    description: "\(resource.kind) \(namespace.map { "\($0)/" } ?? "")\(name) already "
                        + "exists and was not made by this migration; delete or rename it and start the plan again")
            }
            return existing
        } catch let error as KubernetesError where [400, 403, 422].contains(error.code) {
            throw PermanentFailure(description: "cannot create \(resource.kind) \(name): \(error.message)")
        }
    }

    /// Creates the plan's target namespace unless it exists; one the controller may not create fails the VM.
    func ensureTargetNamespace() async throws {
        let name = plan.spec.targetNamespace
        do {
            _ = try await client.create(.namespaces, try JSONValue(encoding: Namespace(name: name)), namespace: nil)
        } catch let error as KubernetesError where error.isAlreadyExists {
        } catch let error as KubernetesError where error.code == 403 || error.code == 422 {
            throw PermanentFailure(description: "cannot create the target namespace \(name): \(error.message)")
        }
    }

    /// Deletes a snapshot; one already gone is no error.
    func deleteSnapshot(_ id: String) async throws {
        do { try await source.deleteSnapshot(id: id) } catch let error as AWSError where error.isNotFound {}
    }

    /// Deletes a snapshot copy in the target region; one already gone is no error.
    func deleteCopy(_ id: String) async throws {
        do { try await target.deleteSnapshot(id: id) } catch let error as AWSError where error.isNotFound {}
    }

    /// Follows snapshots (by source volume) as AWS reported them this tick: each one's progress goes to its task of
    /// `step`; true when all are completed. One in `error` fails the VM, described by `what(volume, snapshotID)`.
    func follow(
        _ snapshots: [String: String], as reported: [String: Snapshot], on step: Step, _ vm: inout VMStatus,
        _ seen: Observations, what: (String, String) -> String
    ) throws -> Bool {
        let now = Timestamp.now()
        var done = 0
        for (volume, id) in snapshots {
            guard let snapshot = try seen.resource(id, in: reported, what(volume, id)) else { continue }
            if snapshot.state == "error" {
                throw PermanentFailure(
                    description: "\(what(volume, id)) failed: \(snapshot.stateMessage ?? "state error")")
            }
            vm.report(
                step, task: volume, totalMiB: sizeMiB(vm, volume),
                percent: VMStatus.snapshotPercent(state: snapshot.state, progress: snapshot.progress), now: now)
            if snapshot.state == "completed" { done += 1 }
        }
        return done == snapshots.count
    }

    /// A source volume's size in MiB, from the plan's disks.
    func sizeMiB(_ vm: VMStatus, _ volume: String) -> Int64 {
        Int64(disks(ofInstance: vm.id ?? "").first { $0.sourceVolumeID == volume }?.sizeGiB ?? 0) * 1024
    }
}
