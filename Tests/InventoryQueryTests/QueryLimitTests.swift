import MTVAPI
import Testing

@testable import InventoryQuery

/// Hostile queries: limits checked before the work they bound, and a fuzz run that must neither crash nor hang.
@Suite("Query limits and fuzzing")
struct QueryLimitTests {
    /// A small deterministic generator (SplitMix64), so a failing input can be produced again from its seed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let records: [JSONValue] = [
        [
            "name": "web-1", "cpuCount": 2, "Tags": [["Key": "tier", "Value": "web"]],
            "LaunchTime": "2024-03-01T10:00:00Z",
            "NetworkInterfaces": [
                ["SecurityGroupIds": ["sg-1", "sg-2"], "PublicIp": "1.2.3.4"], ["SecurityGroupIds": ["sg-3"]],
            ],
        ],
        ["name": "db-1", "cpuCount": 8, "Tags": [], "NetworkInterfaces": [["SecurityGroupIds": ["sg-9"]]]],
        ["name": .null, "cpuCount": "four"],
    ]

    func limitError(_ text: String) -> QueryError? {
        do {
            _ = try Query.parse(text)
            return nil
        } catch {
            return error.kind == .limit ? error : nil
        }
    }

    @Test(
        "nesting of every recursive construct stops at 64 with a limit error that names it",
        arguments: [
            ("(", ")", "a = 1"), ("[", "]", "1"), ("-", "", "1"), ("not ", "", "a"), ("len ", "", "a"),
            ("any(", ")", "a"), ("+", "", "1"), ("5 in (", ")", "[1]"),
        ])
    func nesting(open: String, close: String, inner: String) throws {
        let wrap = { (depth: Int) in
            "where " + String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
        }
        // Up to the limit the query parses or fails for a reason other than the limit (`- - a` has no type yet).
        #expect(limitError(wrap(QueryLimits.maxNesting - 2)) == nil)
        for depth in [QueryLimits.maxNesting + 1, 1_000, 100_000] {
            let text = wrap(depth)
            guard text.utf8.count <= QueryLimits.maxLength else {
                #expect(limitError(text)?.message.contains("\(QueryLimits.maxLength) bytes") == true)
                continue
            }
            let error = try #require(limitError(text), "depth \(depth) of \(open)")
            #expect(error.message.contains("\(QueryLimits.maxNesting) levels"), "\(error.message)")
        }
    }

    @Test("operator chains count toward the tree depth", arguments: ["a or ", "a and ", "a + ", "a * ", "a = "])
    func chains(operation: String) throws {
        let terms = { (count: Int) in "where " + String(repeating: operation, count: count - 1) + "a" }
        #expect(limitError(terms(QueryLimits.maxDepth)) == nil)
        let error = try #require(limitError(terms(QueryLimits.maxDepth + 2)))
        #expect(error.message.contains("\(QueryLimits.maxDepth) levels"))
        // The deepest tree allowed evaluates without trouble.
        if operation == "a or " {
            let query = try Query.parse(terms(QueryLimits.maxDepth))
            #expect(try query.apply(to: [["a": true]]).count == 1)
        }
    }

    @Test("the query length and field path steps are bounded")
    func lengthAndPaths() throws {
        let long = "where name = '" + String(repeating: "x", count: QueryLimits.maxLength) + "'"
        #expect(limitError(long)?.message.contains("limit is \(QueryLimits.maxLength) bytes") == true)
        let path = "where " + Array(repeating: "a", count: QueryLimits.maxPathSteps + 1).joined(separator: ".") + " = 1"
        #expect(limitError(path)?.message.contains("more than \(QueryLimits.maxPathSteps) steps") == true)
        let bracketed = "where a" + String(repeating: "[0]", count: QueryLimits.maxPathSteps + 1) + " = 1"
        #expect(limitError(bracketed) != nil)
    }

    @Test("a query over its time budget fails with a limit error")
    func timeBudget() throws {
        let query = try Query.parse("where name ~= '" + String(repeating: "(a|b|c|d)?", count: 900) + "z'")
        let many = Array(repeating: ["name": .string(String(repeating: "abcd", count: 25))] as JSONValue, count: 10_000)
        let error = #expect(throws: QueryError.self) { try query.apply(to: many, timeLimit: 0.001) }
        #expect(error?.kind == .limit)
        #expect(error?.message.contains("time budget") == true)
    }

    @Test("100,000 random and mutated queries: parse errors at most, never a crash or a hang")
    func fuzz() async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("query fuzz seed: \(seed)")
        var generator = Generator(state: seed)
        let alphabet = [
            "select", "where", "order by", "limit", "and", "or", "not", "in", "is", "null", "like", "ilike",
            "between", "len", "any", "all", "sum", "asc", "desc", "as", "true", "false", "name", "cpuCount",
            "Tags[*].Key", "NetworkInterfaces[*].SecurityGroupIds", "label.tier", "a.b[0]['c']", "(", ")", "[", "]",
            ",", "=", "!=", "<", "<=", ">", ">=", "~=", "~!", "+", "-", "*", "/", "%", "'web'", "'%x_'", "'(a+)+$'",
            "'[a-'", "'\\\\1'", "'(?P<n>x)'", "2024-02-30", "2024-01-01", "1Gi", "3.5", "1e9", "0", "'\u{0}'", "\"x\"",
            "`y`", "é", "\u{FFFD}", "{{ name }}", ".name", "'", "\\",
        ]
        let corpus = [
            "where powerState = 'On' and cpuCount >= 2 order by name desc limit 5",
            "select name, sum(disks[*].capacityGB) as total where any(Tags[*].Value = 'prod') order by total",
            "where name ~= '^web-[0-9]+$' or label.tier in ['db', 'cache']",
            "where LaunchTime between 2024-01-01 and 2024-12-31T00:00:00Z and not (name like 'test%')",
            "where all(NetworkInterfaces[*].PublicIp is not null) and len(BlockDeviceMappings) > 1",
        ]
        let scalars: [Unicode.Scalar] = [
            "(", ")", "[", "]", "'", "\"", "\\", " ", "~", "=", "*", "{", "}", "é", "\u{0}",
        ]
        var parsed = 0
        for round in 0..<100_000 {
            // Other tests share this process's few threads: let them run now and then.
            if round % 500 == 0 { await Task.yield() }
            var text: String
            if round % 2 == 0 {
                let count = Int.random(in: 1...24, using: &generator)
                text = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }.joined(separator: " ")
            } else {
                var chars = Array(corpus.randomElement(using: &generator)!.unicodeScalars)
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let position = Int.random(in: 0...chars.count, using: &generator)
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0: chars.insert(scalars.randomElement(using: &generator)!, at: position)
                    case 1: if position < chars.count { chars.remove(at: position) }
                    case 2: if position < chars.count { chars[position] = scalars.randomElement(using: &generator)! }
                    default:
                        let end = min(chars.count, position + Int.random(in: 1...12, using: &generator))
                        chars.insert(contentsOf: chars[position..<end], at: position)
                    }
                }
                text = String(String.UnicodeScalarView(chars))
            }
            guard let query = try? Query.parse(text) else { continue }
            parsed += 1
            _ = try? query.apply(to: Self.records, timeLimit: 1)
            for record in Self.records { _ = query.project(record) }
        }
        print("query fuzz: \(parsed) of 100000 inputs parsed; the rest gave errors")
        #expect(parsed > 1_000, "the generator produces valid queries too")
    }

    @Test("10,000 random regular expressions compile or fail with a reason, and match in bounded time")
    func regexFuzz() async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("regex fuzz seed: \(seed)")
        var generator = Generator(state: seed)
        let pieces = [
            "a", "b", ".", "*", "+", "?", "|", "(", ")", "(?:", "(?i)", "(?P<x>", "[", "]", "^", "$", "\\d", "\\b",
            "\\pL", "{2}", "{1,3}", "{,}", "[:alpha:]", "\\", "-", "\\1", "(?=", "\\x{41}", "é", "{1000}",
        ]
        let text = String(repeating: "ab1é a-b ", count: 20)
        var compiled = 0
        for round in 0..<10_000 {
            if round % 500 == 0 { await Task.yield() }
            let count = Int.random(in: 1...16, using: &generator)
            let pattern = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            guard let regex = try? LinearRegex(pattern) else { continue }
            compiled += 1
            _ = regex.matches(text)
        }
        print("regex fuzz: \(compiled) of 10000 patterns compiled")
        #expect(compiled > 500)
    }

    @Test("[*] flattens lists reached through it; IS NULL inside any/all tests each element; impossible dates fail")
    func tslSemantics() throws {
        func names(_ text: String) throws -> [String] {
            try Query.parse(text).apply(to: Self.records).compactMap { $0["name"]?.stringValue }
        }
        #expect(try names("where any(NetworkInterfaces[*].SecurityGroupIds = 'sg-3')") == ["web-1"])
        #expect(try names("where len(NetworkInterfaces[*].SecurityGroupIds) = 3") == ["web-1"])
        #expect(try names("where any(NetworkInterfaces[*].PublicIp is not null)") == ["web-1"])
        #expect(try names("where all(NetworkInterfaces[*].PublicIp is not null)").isEmpty)
        #expect(try names("where Tags is not null") == ["web-1", "db-1"])
        let error = #expect(throws: QueryError.self) { try Query.parse("where LaunchTime > 2024-02-30") }
        #expect(error?.message.contains("not a valid date") == true)
    }
}
