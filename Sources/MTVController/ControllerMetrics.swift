import Foundation

/// The controller's counters and gauges, served at `/metrics` in the Prometheus text format.
public actor ControllerMetrics {
    private var counters: [String: [String: Double]] = [:]
    private var gauges: [String: [String: Double]] = [:]
    private let help: [String: String] = [
        "mtv_provider_reconciles_total": "Provider reconciles by result.",
        "mtv_plan_reconciles_total": "Plan validations by result.",
        "mtv_inventory_passes_total": "Inventory collection passes by result.",
        "mtv_providers_ready": "EC2 providers whose connection test passed.",
        "mtv_inventory_pass_seconds": "Duration of the last successful inventory pass, by provider.",
        "mtv_migration_ticks_total": "Migration ticks (one Describe round and one advance of every VM in flight).",
        "mtv_migration_tick_seconds_total": "Time spent in migration ticks.",
    ]

    /// Creates empty metrics.
    public init() {}

    /// Adds `amount` (one by default) to a counter with the given labels.
    public func increment(_ name: String, by amount: Double = 1, labels: [String: String] = [:]) {
        counters[name, default: [:]][Self.key(labels), default: 0] += amount
    }

    /// Sets a gauge.
    public func set(_ name: String, _ value: Double, labels: [String: String] = [:]) {
        gauges[name, default: [:]][Self.key(labels)] = value
    }

    /// The exposition text.
    public func render() -> String {
        var lines: [String] = []
        for (kind, family) in [("counter", counters), ("gauge", gauges)] {
            for name in family.keys.sorted() {
                if let text = help[name] { lines.append("# HELP \(name) \(text)") }
                lines.append("# TYPE \(name) \(kind)")
                for (labels, value) in family[name]!.sorted(by: { $0.key < $1.key }) {
                    lines.append("\(name)\(labels) \(value == value.rounded() ? String(Int(value)) : String(value))")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func key(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let pairs = labels.sorted { $0.key < $1.key }.map { key, value in
            "\(key)=\"\(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
        }
        return "{" + pairs.joined(separator: ",") + "}"
    }
}
