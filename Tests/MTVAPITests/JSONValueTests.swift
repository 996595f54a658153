import Foundation
import Testing

@testable import MTVAPI

@Suite("JSON values and merge patches")
struct JSONValueTests {
    @Test("a merge patch holds changes, removals as null, and whole arrays")
    func mergePatchDiff() throws {
        let old: JSONValue = ["a": 1, "b": ["c": "x", "d": "y"], "list": [1, 2], "gone": true]
        let new: JSONValue = ["a": 1, "b": ["c": "z", "d": "y"], "list": [1, 2, 3], "added": "n"]
        let patch = try #require(JSONValue.mergePatch(from: old, to: new))
        #expect(patch == ["b": ["c": "z"], "list": [1, 2, 3], "gone": .null, "added": "n"])
        #expect(old.applyingMergePatch(patch) == new)
        #expect(JSONValue.mergePatch(from: new, to: new) == nil)
    }

    @Test("fields a Swift type does not know survive a typed change applied as a patch")
    func unknownFieldsSurvive() throws {
        let stored: JSONValue = [
            "apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
            "metadata": ["name": "p", "namespace": "ns", "resourceVersion": "7"],
            "spec": [
                "provider": ["source": ["name": "s"], "destination": ["name": "d"]], "targetNamespace": "t",
                "map": ["network": ["name": "n"], "storage": ["name": "s"]], "vms": [["id": "i-1"]],
                "futureField": ["nested": true],
            ],
            "status": ["somethingNew": 1],
        ]
        let plan: Plan = try stored.decode()
        var changed = plan
        changed.spec.description = "updated"
        changed.spec.vms.append(Plan.VM(id: "i-2"))
        let patch = try #require(
            JSONValue.mergePatch(from: JSONValue(encoding: plan), to: JSONValue(encoding: changed)))
        let result = stored.applyingMergePatch(patch)
        #expect(result[path: ["spec", "futureField", "nested"]] == true)
        #expect(result[path: ["status", "somethingNew"]] == 1)
        #expect(result[path: ["spec", "description"]] == "updated")
        #expect(result[path: ["spec", "vms"]]?.arrayValue?.count == 2)
    }

    @Test("numbers keep their integer form; values round-trip through JSON text")
    func roundTrip() throws {
        let value: JSONValue = [
            "int": 42, "float": 1.5, "neg": -3, "text": "a\"b", "null": .null, "list": [true, false],
        ]
        let text = String(decoding: value.serialized(), as: UTF8.self)
        #expect(text.contains(#""int":42"#))
        #expect(try JSONValue(parsing: Data(text.utf8)) == value)
    }
}
