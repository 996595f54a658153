import ArgumentParser
import Foundation
import Testing

@testable import MTVCLI

/// The CLI's messages, listed from their catalogues: each reads like the others and says one thing once.
@Suite("CLI message catalogues")
struct MessageCatalogueTests {
    /// Every catalogue by name, as `Sources/MTVCLI/Messages/NAME.swift` holds it, with its entries.
    static let catalogues: [(name: String, entries: [any Error])] = [
        ("CommonMessages", CommonMessages.all), ("ProviderMessages", ProviderMessages.all),
        ("PlanMessages", PlanMessages.all), ("MappingMessages", MappingMessages.all),
        ("InventoryMessages", InventoryMessages.all), ("HookMessages", HookMessages.all),
    ]

    /// The one line a person reads first: a CLIError's message (its detail goes under it) or a ValidationError's.
    static func line(_ error: any Error) -> String? {
        switch error {
        case let error as CLIError: error.message
        case let error as ValidationError: error.message
        default: nil
        }
    }

    @Test("every message is one short lower-case line without a final period, and no two say the same")
    func messagesReadAlike() throws {
        var seen: [String: String] = [:]
        for (name, entries) in Self.catalogues {
            for entry in entries {
                let text = try #require(Self.line(entry), "\(name): \(type(of: entry)) is not a CLI error")
                #expect(!text.isEmpty, "\(name): empty message")
                #expect(text.first?.isLowercase == true || text.hasPrefix("--"), "\(name): \(text)")
                #expect(!text.hasSuffix("."), "\(name): \(text)")
                #expect(!text.contains("\n"), "\(name): \(text)")
                #expect(text.count <= 300, "\(name): \(text.count) characters: \(text)")
                #expect(seen[text] == nil, "\(name) repeats \(seen[text] ?? ""): \(text)")
                seen[text] = name
            }
        }
    }

    @Test("each catalogue's list holds every entry it declares")
    func listsAreComplete() throws {
        let folder = URL(filePath: #filePath).deletingLastPathComponent().appending(
            path: "../../Sources/MTVCLI/Messages")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        #expect(Set(files) == Set(Self.catalogues.map { "\($0.name).swift" }), "catalogue files: \(files)")
        let declaration = /^    static (?:let|func) (\w+)/.anchorsMatchLineEndings()
        for (name, entries) in Self.catalogues {
            let source = try String(contentsOf: folder.appending(path: "\(name).swift"), encoding: .utf8)
            let declared = source.matches(of: declaration).map { String($0.output.1) }
            #expect(entries.count == declared.count, "\(name) declares \(declared) but lists \(entries.count)")
        }
    }

    @Test("a CLIError's detail goes on the lines under its message")
    func detailUnderMessage() {
        let error = InventoryMessages.invalidQuery("where name =\n            ^ expected a value")
        #expect(error.description == "invalid query:\nwhere name =\n            ^ expected a value")
        #expect(ProviderMessages.noWorkerZone.description == ProviderMessages.noWorkerZone.message)
    }
}
