import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore
import Yams

/// `k=v,k2=v2` flags.
enum KeyValues {
    static func parse(_ text: String?, flag: String) throws -> [String: String]? {
        guard let text else { return nil }
        var result: [String: String] = [:]
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw CommonMessages.notKeyValue(flag, item: item) }
            result[parts[0]] = parts[1]
        }
        guard !result.isEmpty else { throw CommonMessages.emptyKeyValues(flag) }
        return result
    }
}
