import ArgumentParser
import Foundation
import MTVAPI
import Yams

/// How a command prints objects.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, yaml, wide

    static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// Prints JSON values as kubectl does: pretty JSON, YAML, or a `List` for several.
enum Printer {
    static func json(_ value: JSONValue) -> String {
        String(decoding: value.serialized(pretty: true), as: UTF8.self)
    }

    static func yaml(_ value: JSONValue) -> String {
        (try? Yams.dump(object: plain(value), width: -1, sortKeys: true)) ?? json(value)
    }

    /// Several objects as one `List`, or the object itself.
    static func document(_ items: [JSONValue], format: OutputFormat) -> String {
        let value: JSONValue =
            items.count == 1 ? items[0] : ["apiVersion": "v1", "kind": "List", "items": .array(items)]
        return format == .yaml ? yaml(value) : json(value)
    }

    /// Foundation values for Yams.
    static func plain(_ value: JSONValue) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let flag): return flag
        case .number: return value.intValue.map { $0 as Any } ?? (value.doubleValue ?? 0)
        case .string(let text): return text
        case .array(let items): return items.map(plain)
        case .object(let fields): return fields.mapValues(plain)
        }
    }
}

/// Writes kubectl-style tables: upper-case headers, columns padded to the widest cell, three spaces apart.
struct TableWriter {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String]) {
        self.headers = headers
    }

    mutating func add(_ row: [String]) {
        rows.append(row)
    }

    /// Whether state columns are coloured: set once from `--no-color`, `NO_COLOR` and whether stdout is a terminal.
    nonisolated(unsafe) static var colors = false

    /// The columns whose values are states, coloured when `colors` is on.
    static let stateColumns: Set<String> = ["STATE", "STATUS", "READY", "PHASE", "RESULT"]

    func render(headers showHeaders: Bool = true) -> String {
        let all = (showHeaders ? [headers] : []) + rows
        var widths = Array(repeating: 0, count: headers.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        let coloured = Self.colors ? Set(headers.indices.filter { Self.stateColumns.contains(headers[$0]) }) : []
        return all.enumerated().map { line, row in
            row.enumerated().map { index, cell in
                let padded =
                    index == row.count - 1
                    ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0)
                guard line > 0 || !showHeaders, coloured.contains(index), let colour = Self.colour(of: cell) else {
                    return padded
                }
                return "\u{1B}[\(colour)m\(cell)\u{1B}[0m" + padded.dropFirst(cell.count)
            }.joined()
        }.joined(separator: "\n")
    }

    /// The ANSI colour of a state: green when it is done or well, yellow while it moves, red when it failed.
    static func colour(of state: String) -> Int? {
        switch state.lowercased() {
        case "running", "available", "completed", "in-use", "ready", "true", "succeeded", "deleted": 32
        case "pending", "stopping", "creating", "executing", "would delete", "shutting-down": 33
        case "failed", "false", "error", "terminated", "stopped", "connectionfailed", "validationfailed",
            "canceled":
            31
        default: nil
        }
    }
}

/// Pushes printed lines out at once (stdout is block-buffered into pipes and files; `-w` must not wait).
func flushOutput() {
    fflush(nil)
}

/// Age as kubectl shows it: 5s, 3m, 2h, 4d.
func age(since timestamp: String?, now: Date = Date()) -> String {
    guard let timestamp, let date = ISO8601DateFormatter().date(from: timestamp) else { return "<unknown>" }
    let seconds = max(0, Int(now.timeIntervalSince(date)))
    switch seconds {
    case ..<120: return "\(seconds)s"
    case ..<(120 * 60): return "\(seconds / 60)m"
    case ..<(48 * 3600): return "\(seconds / 3600)h"
    default: return "\(seconds / 86400)d"
    }
}

/// `--dry-run` and `-o` go together, as in kubectl-mtv.
enum DryRunOutput {
    static func check(_ output: OutputFormat?, dryRun: Bool) throws {
        guard let output else { return }
        guard dryRun else { throw CommonMessages.outputNeedsDryRun }
        guard [.yaml, .json].contains(output) else { throw CommonMessages.outputFormat }
    }
}
