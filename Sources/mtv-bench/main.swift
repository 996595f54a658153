// `mtv-bench [RECORDS]`: times the inventory query engine over synthetic EC2 instance records, and the `~=`
// engine on patterns that stall backtracking engines over 1 KiB inputs, and prints JSON figures (median
// milliseconds). Run by `make bench`; never by the tests.
import Foundation
import InventoryQuery
import MTVAPI

let count = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 10_000
let types = ["t3.micro", "t3.medium", "m5.large", "m5.xlarge", "r5.large", "c6g.large"]
let environments = ["production", "staging", "dev"]
/// One synthetic instance record, shaped like the inventory's (AWS fields plus the derived ones).
func record(_ index: Int) -> JSONValue {
    let name = JSONValue.string("vm-\(index)")
    let environment = JSONValue.string(environments[index % 3])
    var disks: [JSONValue] = []
    for disk in 0..<(1 + index % 3) {
        let ebs: JSONValue = ["VolumeId": .string("vol-\(index)-\(disk)")]
        disks.append(["DeviceName": .string("/dev/xvd\(disk)"), "Ebs": ebs])
    }
    var object: [String: JSONValue] = [:]
    object["id"] = .string(String(format: "i-%017x", index))
    object["name"] = name
    object["InstanceType"] = .string(types[index % types.count])
    object["State"] = ["Name": index % 4 == 0 ? "stopped" : "running"]
    object["powerState"] = index % 4 == 0 ? "Off" : "On"
    object["Architecture"] = index % 6 == 5 ? "arm64" : "x86_64"
    object["labels"] = ["Environment": environment, "tier": index % 2 == 0 ? "web" : "db"]
    object["Tags"] = [["Key": "Name", "Value": name], ["Key": "Environment", "Value": environment]]
    object["BlockDeviceMappings"] = .array(disks)
    object["cpuCount"] = .number(Double(2 << (index % 3)))
    object["memoryMB"] = .number(Double(4096 << (index % 3)))
    object["LaunchTime"] = .string("2026-0\(1 + index % 9)-15T10:00:00Z")
    return .object(object)
}
let records = (0..<count).map(record)
let queries = [
    "where powerState = 'Off'",
    "where label.Environment = 'production' and InstanceType like 'm5.%'",
    "where any(Tags[*].Value = 'staging') order by name limit 50",
    "where len(BlockDeviceMappings) > 1 and memoryMB >= 8192",
    "where name ~= '^vm-9[0-9]+$'",
    "select name, InstanceType where Architecture = 'arm64' order by name desc",
]
var results: [[String: Any]] = []
for text in queries {
    var timings: [Double] = []
    var matched = 0
    for _ in 0..<7 {
        let start = DispatchTime.now().uptimeNanoseconds
        let query = try Query.parse(text)
        matched = try query.apply(to: records).count
        timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    timings.sort()
    results.append([
        "query": text, "matched": matched, "median_ms": (timings[3] * 100).rounded() / 100,
        "min_ms": (timings[0] * 100).rounded() / 100,
    ])
}
/// Patterns that take a backtracking engine seconds to minutes, each against 1 KiB of text it does not match.
let kibibyte = String(repeating: "a", count: 1024)
let patterns: [(pattern: String, text: String)] = [
    ("(.*a){20}b", kibibyte), ("^(a+)+$", kibibyte + "!"), ("^(a|a)*$", kibibyte + "b"), ("(x+x+)+y", kibibyte),
    ("((a|b|c|d)?){50}z", String(repeating: "abcd", count: 256)),
]
var regexResults: [[String: Any]] = []
for (pattern, text) in patterns {
    let query = try Query.parse("where name ~= '\(pattern.replacingOccurrences(of: "'", with: "\\'"))'")
    let subject: [JSONValue] = [["name": .string(text)]]
    var timings: [Double] = []
    var matched = 0
    for _ in 0..<7 {
        let start = DispatchTime.now().uptimeNanoseconds
        matched = try query.apply(to: subject).count
        timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    timings.sort()
    regexResults.append([
        "pattern": pattern, "input_bytes": text.utf8.count, "matched": matched,
        "median_ms": (timings[3] * 1000).rounded() / 1000,
    ])
}
let output: [String: Any] = ["records": count, "queries": results, "regex": regexResults]
let data = try JSONSerialization.data(withJSONObject: output, options: [.prettyPrinted, .sortedKeys])
print(String(decoding: data, as: UTF8.self))
