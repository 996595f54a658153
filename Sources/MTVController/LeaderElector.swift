import Foundation
import KubernetesClient
import Logging
import MTVAPI

/// Leader election on a `coordination.k8s.io` Lease: one controller works, the others wait and take over when
/// the leader stops renewing. Writes are guarded by resourceVersion, so two candidates never both win. As in
/// client-go, a candidate never compares the holder's `renewTime` with its own clock (nodes' clocks differ): it
/// judges expiry by how long it has itself seen the lease unchanged, on its monotonic clock.
public struct LeaderElector: Sendable {
    let client: KubernetesClient
    let namespace: String
    let name: String
    let identity: String
    /// How long a lease lasts without renewal, in seconds.
    let leaseDuration: Int
    /// How often the leader renews and candidates retry, in seconds.
    let retryPeriod: Double
    let logger: Logger
    private let observed = ObservedLease()

    /// The lease as this candidate last saw it, and when (monotonic), shared by its acquire and renew loops.
    private final class ObservedLease: @unchecked Sendable {
        private let lock = NSLock()
        private var record: String?
        private var since = ContinuousClock.now

        /// Records what the lease holds now; returns how long it has looked exactly like this, in seconds.
        func unchanged(for current: String) -> Double {
            lock.withLock {
                let now = ContinuousClock.now
                if current != record {
                    record = current
                    since = now
                }
                let elapsed = (now - since).components
                return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            }
        }
    }

    /// Seconds added to this process's wall clock, so a test can run a candidate whose clock is skewed
    /// (`MTV_TEST_CLOCK_SKEW`); zero otherwise.
    static let clockSkew = Double(ProcessInfo.processInfo.environment["MTV_TEST_CLOCK_SKEW"] ?? "") ?? 0

    /// Creates an elector for the lease `namespace/name`.
    public init(
        client: KubernetesClient, namespace: String, name: String, identity: String, leaseDuration: Int = 15,
        retryPeriod: Double = 2, logger: Logger
    ) {
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.retryPeriod = retryPeriod
        self.logger = logger
    }

    /// Waits until this candidate holds the lease.
    public func acquire() async throws {
        while true {
            try Task.checkCancellation()
            if try await tryAcquireOrRenew() {
                logger.info("became leader", metadata: ["lease": "\(namespace)/\(name)", "identity": "\(identity)"])
                return
            }
            try await Task.sleep(nanoseconds: UInt64(retryPeriod * 1e9))
        }
    }

    /// Renews the lease until it is lost (returns) or the task is cancelled (releases it and throws).
    public func holdUntilLost() async throws {
        var lastRenewal = Date()
        while true {
            do {
                try await Task.sleep(nanoseconds: UInt64(retryPeriod * 1e9))
            } catch {
                await release()
                throw error
            }
            do {
                if try await tryAcquireOrRenew() {
                    lastRenewal = Date()
                    continue
                }
                logger.warning("lost the lease to another candidate", metadata: ["lease": "\(namespace)/\(name)"])
                return
            } catch is CancellationError {
                await release()
                throw CancellationError()
            } catch {
                logger.warning("cannot renew the lease", metadata: ["error": "\(error)"])
                if Date().timeIntervalSince(lastRenewal) > Double(leaseDuration) * 2 / 3 { return }
            }
        }
    }

    /// Takes a free or expired lease, or renews our own; false when someone else holds it.
    func tryAcquireOrRenew() async throws -> Bool {
        let stamp = Self.microTime(Date().addingTimeInterval(Self.clockSkew))
        do {
            let lease = try await client.get(Lease.self, name: name, namespace: namespace)
            let holder = lease.spec.holderIdentity ?? ""
            // Any write to the lease (a renewal, a new holder) changes its resourceVersion.
            let unchanged = observed.unchanged(for: "\(holder)/\(lease.metadata.resourceVersion ?? "")")
            let expired = unchanged > Double(lease.spec.leaseDurationSeconds ?? leaseDuration)
            guard holder == identity || holder.isEmpty || expired else { return false }
            do {
                _ = try await client.update(lease) { lease in
                    if lease.spec.holderIdentity != identity {
                        lease.spec.acquireTime = stamp
                        lease.spec.leaseTransitions = (lease.spec.leaseTransitions ?? 0) + 1
                    }
                    lease.spec.holderIdentity = identity
                    lease.spec.leaseDurationSeconds = leaseDuration
                    lease.spec.renewTime = stamp
                }
                return true
            } catch let error as KubernetesError where error.isConflict {
                return false
            }
        } catch let error as KubernetesError where error.isNotFound {
            let lease = Lease(
                metadata: ObjectMeta(name: name, namespace: namespace),
                spec: Lease.Spec(
                    holderIdentity: identity, leaseDurationSeconds: leaseDuration, acquireTime: stamp, renewTime: stamp)
            )
            do {
                _ = try await client.create(lease)
                return true
            } catch let error as KubernetesError where error.isAlreadyExists {
                return false
            }
        }
    }

    /// Gives the lease up so a successor need not wait for it to expire.
    func release() async {
        guard let lease = try? await client.get(Lease.self, name: name, namespace: namespace),
            lease.spec.holderIdentity == identity
        else { return }
        _ = try? await client.update(lease) { $0.spec.holderIdentity = "" }
        logger.info("released the lease", metadata: ["lease": "\(namespace)/\(name)"])
    }

    static func microTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
