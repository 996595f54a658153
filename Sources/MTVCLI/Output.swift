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
        let value: JSONValue = items.count == 1 ? items[0] : ["apiVersion": "v1", "kind": "List", "items": .array(items)]
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

    func render(headers showHeaders: Bool = true) -> String {
        let all = (showHeaders ? [headers] : []) + rows
        var widths = Array(repeating: 0, count: headers.count)
        for row in all { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
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
