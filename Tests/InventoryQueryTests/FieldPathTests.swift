import InventoryQuery
import MTVAPI
import Testing

@Suite("field paths")
struct FieldPathTests {
    static let pod: JSONValue = [
        "metadata": ["name": "p", "labels": ["env": "prod", "app.kubernetes.io/name": "web"]],
        "spec": ["containers": [["name": "c1", "ports": [80, 443]], ["name": "c2", "ports": [8080]]]],
    ]

    @Test("dot paths, a leading dot and a {{ }} wrapper read the same field")
    func dotPaths() {
        #expect(value(at: "metadata.name", in: Self.pod) == "p")
        #expect(value(at: ".metadata.name", in: Self.pod) == "p")
        #expect(value(at: "{{ metadata.name }}", in: Self.pod) == "p")
    }

    @Test("bracket keys, quoted or not, read map entries, including keys with dots and slashes")
    func bracketKeys() {
        #expect(value(at: "metadata.labels[env]", in: Self.pod) == "prod")
        #expect(value(at: "metadata.labels['app.kubernetes.io/name']", in: Self.pod) == "web")
        #expect(value(at: "metadata.labels[\"env\"]", in: Self.pod) == "prod")
    }

    @Test("indexes, wildcards and implicit wildcards over arrays")
    func arrays() {
        #expect(value(at: "spec.containers[1].name", in: Self.pod) == "c2")
        #expect(value(at: "spec.containers[-1].name", in: Self.pod) == "c2")
        #expect(value(at: "spec.containers[*].name", in: Self.pod) == ["c1", "c2"])
        #expect(value(at: "spec.containers.name", in: Self.pod) == ["c1", "c2"])
        // Nested wildcards flatten, and so do lists reached through one, as TSL reads them.
        #expect(value(at: "spec.containers[*].ports[*]", in: Self.pod) == [80, 443, 8080])
        #expect(value(at: "spec.containers[*].ports", in: Self.pod) == [80, 443, 8080])
    }

    @Test("missing keys and out-of-range indexes read as missing, not errors")
    func missing() {
        #expect(value(at: "metadata.missing", in: Self.pod) == nil)
        #expect(value(at: "spec.containers[10]", in: Self.pod) == nil)
        #expect(value(at: "spec.containers[foo]", in: Self.pod) == [.null, .null])
        #expect(value(at: "nothing[*].name", in: Self.pod) == nil)
    }

    @Test("wildcard elements missing the rest of the path keep their place as null")
    func alignment() {
        let record: JSONValue = ["Tags": [["Key": "a", "Value": "1"], ["Key": "b"]]]
        #expect(value(at: "Tags[*].Value", in: record) == ["1", .null])
    }

    @Test("malformed paths are invalid-path errors")
    func malformed() throws {
        for text in ["a..b", "a.", "a[", "a[]", "a[0]b", ""] {
            let error = try #require(throws: QueryError.self, "\(text)") { try FieldPath(text) }
            #expect(error.kind == .invalidPath)
        }
        #expect(value(at: "a..b", in: Self.pod) == nil)
        let error = try #require(throws: QueryError.self) { try Query.parse("where a..b = 1") }
        #expect(error.kind == .invalidPath)
        #expect(error.position == 8)
    }

    @Test("label.X and labels.X read the record's labels map, and keys may contain dots")
    func labels() throws {
        let record: JSONValue = ["labels": ["Environment": "production", "kubernetes.io/role": "node"]]
        #expect(value(at: "label.Environment", in: record) == "production")
        #expect(value(at: "labels.Environment", in: record) == "production")
        #expect(value(at: "label.kubernetes.io/role", in: record) == "node")
        #expect(value(at: "label['kubernetes.io/role']", in: record) == "node")
        #expect(value(at: "label.missing", in: record) == nil)
        #expect(try Query.parse("where label.kubernetes.io/role = 'node'").matches(record))
    }

    @Test("label paths may contain '-' and ':' as EC2 tag keys do; elsewhere '-' and '/' are arithmetic")
    func labelKeyCharacters() throws {
        let record: JSONValue = [
            "labels": ["cost-center": "42", "aws:cloudformation:stack-name": "web"], "memoryMB": 4096, "cpuCount": 2,
        ]
        #expect(try Query.parse("where label.cost-center = '42'").matches(record))
        #expect(try Query.parse("where label.aws:cloudformation:stack-name = 'web'").matches(record))
        #expect(try QueryExpression.parse("memoryMB/1024").evaluate(record) == 4)
        #expect(try QueryExpression.parse("memoryMB-cpuCount").evaluate(record) == 4094)
        #expect(try QueryExpression.parse("memoryMB/cpuCount").evaluate(record) == 2048)
    }

    @Test("label.X falls back to the EC2 Tags list when a record has no labels map")
    func labelsFromTags() throws {
        let volume: JSONValue = [
            "VolumeId": "vol-1",
            "Tags": [
                ["Key": "aws:backup", "Value": "daily"],
                ["Key": "Environment", "Value": "dev"],
            ],
        ]
        #expect(value(at: "label.Environment", in: volume) == "dev")
        #expect(value(at: "label['aws:backup']", in: volume) == "daily")
        #expect(try Query.parse("where label.Environment = 'dev'").matches(volume))
    }

    @Test("a real field named label wins over the labels shorthand")
    func realLabelField() {
        let record: JSONValue = ["label": ["x": "own"], "labels": ["x": "map"]]
        #expect(value(at: "label.x", in: record) == "own")
        #expect(value(at: "labels.x", in: record) == "map")
    }
}
