import AWSClient
import EC2Provider
import Foundation
import Inventory
import Logging
import MTVAPI
import MigrationCore
import Synchronization
import Testing

@testable import MTVController

/// A clock a test moves by hand, starting at the real time (steps' starts in a status are real times).
final class ManualClock: Sendable {
    private let now = Mutex(Date())

    /// The current time.
    func read() -> Date { now.withLock { $0 } }

    /// Moves the clock forward.
    func advance(seconds: Double) { now.withLock { $0 += seconds } }
}

/// One VM of one migration, driven tick by tick against a fake EC2 account and a fake cluster, the way the
/// runner drives it: observe in a batch, record a snapshot request before it is sent, advance.
final class PhaseHarness: Sendable {
    static let instanceID = "i-0123456789abcdef0"
    static let namespace = "vms"

    let ec2: FakeEC2
    /// The target region's account when the provider's target-region differs (else `ec2`).
    let targetEC2: FakeEC2
    let cluster: FakeCluster
    let clock = ManualClock()
    let registry = ProviderRegistry()
    let entry: ProviderRegistry.Entry
    let plan: Plan
    let options: Itinerary.Options
    let record: JSONValue
    let store: InventoryStore

    /// A running instance with two gp3 disks, in one account (`twoAccounts: false`) or two, with `hooks`; volumes
    /// are made in `targetRegion` when given, encrypted with `targetKMSKey` when given.
    init(
        twoAccounts: Bool = false, convertGuest: Bool = true, state: String = "running",
        hooks: [Plan.HookReference] = [], targetRegion: String? = nil, targetKMSKey: String? = nil
    ) async throws {
        ec2 = try FakeEC2(instance: Self.instanceID, state: state, volumes: [("vol-root", 10), ("vol-data", 20)])
        targetEC2 = targetRegion == nil ? ec2 : FakeEC2(copiesFrom: ec2)
        cluster = FakeCluster()
        store = try InventoryStore()
        let providers = ProviderPair(
            source: ObjectReference(name: "ec2", namespace: "ns"),
            destination: ObjectReference(name: "host", namespace: "ns"))
        var spec = Plan.Spec(
            provider: providers, targetNamespace: Self.namespace,
            map: Plan.Maps(
                network: ObjectReference(name: "net", namespace: "ns"),
                storage: ObjectReference(name: "disk", namespace: "ns")),
            vms: [Plan.VM(id: Self.instanceID)])
        spec.vms[0].hooks = hooks.isEmpty ? nil : hooks
        spec.skipGuestConversion = !convertGuest
        plan = Plan(
            metadata: {
                var meta = ObjectMeta(name: "plan", namespace: "ns"); meta.uid = "plan-uid"; return meta
            }(),
            spec: spec)
        let provider = Provider(
            metadata: ObjectMeta(name: "ec2", namespace: "ns"),
            spec: .init(
                type: "ec2", secret: ObjectReference(name: "ec2-secret", namespace: "ns"),
                settings: [
                    "target-az": "\(targetRegion ?? "us-east-1")c", "target-region": targetRegion ?? "us-east-1",
                    "target-kms-key": targetKMSKey ?? "",
                ]))
        let secret = Secret(
            metadata: ObjectMeta(name: "ec2-secret", namespace: "ns"),
            stringData: [
                "region": "us-east-1", "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "fake-secret-key",
            ])
        let config = try EC2ProviderConfig.resolve(provider: provider, secret: secret)
        let accounts = ConnectionTester.Accounts(
            source: "111111111111", target: twoAccounts ? "222222222222" : "111111111111")
        let version = ProviderRegistry.SecretVersion(namespace: "ns", name: "ec2-secret", resourceVersion: "1")
        await registry.set(key: "ns/ec2", uid: "provider-uid", config: config, accounts: accounts, secret: version)
        entry = ProviderRegistry.Entry(
            key: "ns/ec2", uid: "provider-uid", config: config, accounts: accounts, secret: version)
        var options = Itinerary.Options(shareSnapshots: twoAccounts, convertGuest: convertGuest)
        options.copySnapshots = config.isCrossRegion
        self.options = options
        record = [
            "id": .string(Self.instanceID), "name": "web", "InstanceType": "m5.large", "cpuCount": 2, "memoryMB": 8192,
            "disks": [
                [
                    "volumeId": "vol-root", "deviceName": "/dev/sda", "capacityGiB": 10, "volumeType": "gp3",
                    "root": true,
                ],
                [
                    "volumeId": "vol-data", "deviceName": "/dev/sdb", "capacityGiB": 20, "volumeType": "gp3",
                    "root": false,
                ],
            ],
            "nics": [],
        ]
        await cluster.put(
            .secrets, ["metadata": ["name": "ec2-secret", "namespace": "ns", "resourceVersion": "1"]],
            namespace: "ns")
    }

    /// A migration context as the runner builds it, with its own memory (a fresh one is a restarted controller).
    func context(memory: MigrationMemory? = nil) -> MigrationContext {
        let storage = StorageMap(
            metadata: ObjectMeta(name: "disk", namespace: "ns"),
            spec: .init(
                provider: plan.spec.provider,
                map: [.init(source: SourceReference(name: "gp3"), destination: .init(storageClass: "gp3-csi"))]))
        let network = NetworkMap(
            metadata: ObjectMeta(name: "net", namespace: "ns"),
            spec: .init(
                provider: plan.spec.provider,
                map: []))
        let clock = self.clock
        return MigrationContext(
            plan: plan, migrationUID: "migration-uid", entry: entry, source: ec2, target: targetEC2,
            networkMap: network,
            storageMap: storage, records: [Self.instanceID: record], itineraryOptions: options, client: cluster,
            store: store,
            memory: memory ?? MigrationMemory(clock: { clock.read() }),
            logger: Logger(label: "phase-tests", factory: { _ in SwiftLogNoOpLogHandler() }),
            conversionKVM: false, clusterUID: "cluster-uid", registry: registry)
    }

    /// The VM as the runner admits it.
    func admitted() -> VMStatus {
        var vm = VMStatus(id: Self.instanceID, name: "web", phase: Phase.started.rawValue, pipeline: [])
        vm.pipeline = context().itinerary(instance: vm.id).pipeline(diskMiB: 30 * 1024)
        vm.started = Timestamp.now()
        vm.newName = "web"
        return vm
    }

    /// One tick: batched observations, the snapshot request recorded before it is sent, then the VM's phases.
    /// `fresh: false` is a controller that did not record the request itself (it restarted since).
    func tick(_ vm: VMStatus, context: MigrationContext, fresh: Bool = true) async -> VMStatus {
        var vm = vm
        var seen = await context.observe([vm])
        if CreateSnapshots.recordRequest(&vm, context, now: Timestamp.now()), fresh {
            seen.freshSnapshotRequests.insert(vm.id ?? "")
        }
        return await VMMigrator(context: context).advance(vm, observations: seen)
    }

    /// Ticks until the VM is in one of `phases` (or completes), calling `between` after each tick that did not get
    /// there; a VM still elsewhere after `limit` ticks fails the test instead of looping on.
    func tick(
        _ vm: VMStatus, context: MigrationContext, until phases: Set<Phase>, limit: Int = 30,
        between: () async -> Void = {}
    ) async -> VMStatus {
        var vm = vm
        for _ in 0..<limit {
            vm = await tick(vm, context: context)
            if vm.completed != nil || Phase(rawValue: vm.phase).map(phases.contains) == true { return vm }
            await between()
        }
        Issue.record("the VM is still in \(vm.phase) after \(limit) ticks, not in \(phases.map(\.rawValue).sorted())")
        return vm
    }

    /// Lets the world catch up: AWS finishes what it was doing, PVCs bind, conversion pods and hook Jobs succeed,
    /// VirtualMachines run.
    func settle() async {
        for name in await cluster.names(.jobs, namespace: Self.namespace) {
            await cluster.merge(
                .jobs, name, namespace: Self.namespace,
                ["status": ["conditions": [["type": "Complete", "status": "True"]]]])
        }
        for name in await cluster.names(.virtualMachines, namespace: Self.namespace) {
            await cluster.merge(.virtualMachines, name, namespace: Self.namespace, ["status": ["ready": true]])
        }
        await ec2.settle()
        await targetEC2.settle()
        for name in await cluster.names(.persistentVolumeClaims, namespace: Self.namespace) {
            await cluster.setPhase(.persistentVolumeClaims, name, namespace: Self.namespace, "Bound")
        }
        for name in await cluster.names(.pods, namespace: Self.namespace) {
            await cluster.setPhase(.pods, name, namespace: Self.namespace, "Succeeded")
        }
    }

    /// Ticks (settling the world between ticks) until the VM completes or `limit` ticks pass.
    func run(_ vm: VMStatus, context: MigrationContext, limit: Int = 30) async -> VMStatus {
        var vm = vm
        for _ in 0..<limit where vm.completed == nil {
            vm = await tick(vm, context: context)
            await settle()
        }
        return vm
    }
}
