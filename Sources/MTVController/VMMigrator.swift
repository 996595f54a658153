import AWSClient
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

/// Moves one VM through its itinerary, one phase action at a time, and cleans up after failure or cancel.
/// Every action can be repeated after a crash without creating anything twice: snapshots are requested after
/// the request is persisted (and looked up by tag after a restart), volumes carry a ClientToken derived from
/// the migration and the source volume, and Kubernetes objects have deterministic names.
struct VMMigrator: Sendable {
    let context: MigrationContext

    /// Consecutive transient failures of one phase before the VM fails.
    static let transientLimit = 8

    /// Runs phase actions until one has to wait, the VM completes, or it fails.
    func advance(_ vm: VMStatus, observations: Observations) async -> VMStatus {
        var vm = vm
        for _ in 0..<Phase.allCases.count {
            guard vm.completed == nil, let phase = Phase(rawValue: vm.phase) else { break }
            let key = "\(context.migrationUID)/\(vm.id ?? "")/\(phase.rawValue)"
            do {
                switch try await PhaseActions.action(for: phase).run(&vm, context, observations) {
                case .next:
                    await context.memory.clearFailures(key)
                    CrashHook.shared.reach("phase", key: "\(key) done")
                    vm.enter(context.itinerary(instance: vm.id).next(after: phase), now: Timestamp.now())
                case .wait:
                    let since = await context.memory.firstSeen(key)
                    let now = context.memory.clock()
                    let stepStarted = vm.pipeline.first { $0.name == Itinerary.step(of: phase).rawValue }?.started
                        .flatMap { ISO8601DateFormatter().date(from: $0) }
                    if let overdue = Itinerary.overdue(
                        phase, phaseElapsed: now.timeIntervalSince(since),
                        stepElapsed: stepStarted.map { now.timeIntervalSince($0) },
                        sizeGiB: Int(context.diskMiB(ofInstance: vm.id ?? "") / 1024))
                    {
                        return await fail(vm, phase: phase, message: overdue)
                    }
                    return vm
                }
            } catch {
                if let error = error as? AWSError, error.isAuthentication, await context.credentialsChanged() {
                    context.logger.warning(
                        "AWS refused credentials the provider's Secret no longer holds; retrying with the new ones",
                        metadata: ["vm": "\(vm.id ?? "")", "phase": "\(phase.rawValue)", "code": "\(error.code)"])
                    return vm
                }
                if Self.isTransient(error), await context.memory.countFailure(key) < Self.transientLimit {
                    context.logger.warning(
                        "transient failure; retrying next tick",
                        metadata: [
                            "vm": "\(vm.id ?? "")", "phase": "\(phase.rawValue)", "error": "\(error)",
                        ])
                    return vm
                }
                return await fail(vm, phase: phase, message: "\(error)")
            }
        }
        return vm
    }

    /// Whether another tick may succeed: AWS retryable codes and exhausted retries, cluster conflicts, throttling and
    /// server errors, and a migration that is not ready yet.
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as AWSError:
            return error.isRetryable || error.kind == .retriesExhausted
        case let error as KubernetesError:
            return error.code == 0 || error.code == 409 || error.code == 429 || error.code >= 500
        case is MigrationContext.NotReady: return true
        default: return false
        }
    }
}
