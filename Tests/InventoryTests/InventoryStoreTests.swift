import Foundation
import MTVAPI
import Testing

@testable import Inventory

@Suite("Inventory store")
struct InventoryStoreTests {
    func record(_ id: String, _ name: String, _ extra: JSONValue = "x") -> InventoryRecord {
        InventoryRecord(
            kind: .volume, id: id, name: name, object: ["id": .string(id), "name": .string(name), "extra": extra])
    }

    @Test("a pass adds new records, bumps the revision of changed ones only, and removes vanished ones")
    func passSemantics() async throws {
        let store = try InventoryStore()
        let first = try await store.replace(provider: "p", records: [.volume: [record("v1", "a"), record("v2", "b")]])
        #expect(first == .init(added: 2, updated: 0, removed: 0, unchanged: 0))
        let second = try await store.replace(
            provider: "p", records: [.volume: [record("v1", "a"), record("v2", "b", "changed"), record("v3", "c")]])
        #expect(second == .init(added: 1, updated: 1, removed: 0, unchanged: 1))
        #expect(try await store.get(provider: "p", kind: .volume, id: "v1")?.revision == 1)
        #expect(try await store.get(provider: "p", kind: .volume, id: "v2")?.revision == 2)
        let third = try await store.replace(provider: "p", records: [.volume: [record("v3", "c")]])
        #expect(third.removed == 2)
        #expect(try await store.list(provider: "p", kind: .volume).map(\.id) == ["v3"])
        #expect(try await store.passes(provider: "p") == 3)
    }

    @Test("providers and kinds are kept apart; a pass touches only the kinds it carries")
    func isolation() async throws {
        let store = try InventoryStore()
        try await store.replace(provider: "p", records: [.volume: [record("v1", "a")]])
        try await store.replace(provider: "q", records: [.volume: [record("v9", "z")]])
        try await store.replace(provider: "p", records: [.storage: InventoryBuilder.storageTypes])
        #expect(try await store.list(provider: "p", kind: .volume).count == 1)
        #expect(try await store.counts(provider: "p") == [.volume: 1, .storage: 7])
        #expect(try await store.list(provider: "q", kind: .volume, name: "z").map(\.id) == ["v9"])
        try await store.remove(provider: "p")
        #expect(try await store.counts(provider: "p").isEmpty)
        #expect(try await store.counts(provider: "q") == [.volume: 1])
    }

    @Test("the store survives a reopen from its file")
    func persistence() async throws {
        let path = FileManager.default.temporaryDirectory.appending(path: "inv-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await InventoryStore(path: path).replace(provider: "p", records: [.volume: [record("v1", "a")]])
        #expect(try await InventoryStore(path: path).get(provider: "p", kind: .volume, id: "v1")?.name == "a")
    }
}
