import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

extension MigrationEndToEndTests {
    @Test("a 10-VM, 2-disk plan: every VM migrates; AWS calls per VM by action are printed and stay near the minimum")
    func tenVMs() async throws {
        // One inventory pass only, so the proxy's counters hold the migration's calls alone.
        try await Self.withSandbox(extra: 10, inventoryInterval: 600) { scenario, sandbox in
            try await sandbox.control.resetCalls()
            let migration = try await Self.migrate(
                scenario, plan: "bench",
                [
                    "--vms", "where label.fleet = 'bench'", "--target-namespace", "\(scenario.namespace)-bench",
                ], seconds: 150)
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true,
                "\(String(describing: migration.status?.conditions))")
            let vms = migration.status?.vms ?? []
            #expect(vms.count == 10)
            let calls = try await sandbox.control.calls()
            let total = calls.values.reduce(0, +)
            var report = "AWS calls for a 10-VM, 2-disk plan (per VM):"
            for (action, count) in calls.sorted(by: { $0.key < $1.key }) {
                report +=
                    "\n  \(action.padding(toLength: 20, withPad: " ", startingAt: 0)) \(count) (\(Double(count) / 10))"
            }
            report += "\n  total                \(total) (\(Double(total) / 10))"
            print(report)
            // Changes are exactly one per VM or volume; polling depends on how the VMs' phases line up in ticks
            // (more spread on a loaded machine), but one Describe covers every VM in flight. Polling each VM on its
            // own costs at least one Describe per wait (stopped, snapshots, volumes), again each poll inside a delay.
            #expect(calls["CreateSnapshots"] == 10 && calls["CreateVolume"] == 20 && calls["DeleteSnapshot"] == 20)
            #expect((calls["StopInstances"] ?? 0) <= 10)
            let describes = calls.filter { $0.key.hasPrefix("Describe") }.values.reduce(0, +)
            #expect(Double(describes) / 10 <= 3, "batched polling: at most 3 Describe calls per VM")
        }
    }
}
