import InventoryQuery
import MTVAPI
import Testing

/// Every case of acceptance/query-cases.md, over the six-instance fixture fleet.
@Suite("acceptance cases over the fixture fleet")
struct AcceptanceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let query: String
        let names: [String]
        var testDescription: String { query }
    }

    static let cases: [Case] = [
        Case(query: "where powerState = 'Off'", names: ["web-2", "win-1", "unnamed"]),
        Case(query: "powerState = 'On'", names: ["web-1", "db-1", "arm-1"]),
        Case(query: "where label.Environment = 'production'", names: ["web-1", "db-1", "win-1"]),
        Case(query: "where label.tier = 'web' and powerState = 'On'", names: ["web-1"]),
        Case(query: "where InstanceType like 't3.%'", names: ["web-1", "web-2", "unnamed"]),
        Case(query: "where name ~= '^web'", names: ["web-1", "web-2"]),
        Case(query: "where name ilike 'WEB%'", names: ["web-1", "web-2"]),
        Case(query: "where any(Tags[*].Key = 'tier')", names: ["web-1", "web-2", "db-1"]),
        Case(query: "where len(BlockDeviceMappings) > 1", names: ["web-1", "db-1"]),
        Case(query: "where Architecture = 'arm64'", names: ["arm-1"]),
        Case(query: "where PublicIpAddress is not null", names: ["web-1", "arm-1"]),
        Case(query: "where InstanceType in ['r5.large', 'm5.xlarge']", names: ["db-1", "win-1"]),
        Case(
            query: "where label.Environment != 'production' and label.Environment is not null",
            names: ["web-2", "arm-1"]
        ),
        Case(query: "where not (label.Environment = 'production')", names: ["web-2", "arm-1", "unnamed"]),
    ]

    @Test("each acceptance query returns exactly the listed instances", arguments: cases)
    func acceptanceCase(_ testCase: Case) throws {
        #expect(try Fleet.names(testCase.query) == testCase.names)
    }

    @Test("the unnamed instance is named by its instance ID")
    func unnamedInstanceName() throws {
        let records = try Query.parse("where powerState = 'Off' and InstanceType = 't3.micro'").apply(to: Fleet.records)
        #expect(records.map { $0["name"] } == [.string(Fleet.unnamedID)])
    }

    @Test("select, filter by label list, order by name desc, limit 2: win-1 then web-2 with two columns")
    func selectOrderLimit() throws {
        let query = try Query.parse(
            "select name, InstanceType where label.Environment in ['production', 'staging'] order by name desc limit 2"
        )
        let rows = try query.apply(to: Fleet.records)
        #expect(rows.map { $0["name"] } == ["win-1", "web-2"])
        #expect(query.select.map(\.column) == ["name", "InstanceType"])
        let projected = rows.map { query.project($0) }
        #expect(projected.map { $0.map(\.column) } == [["name", "InstanceType"], ["name", "InstanceType"]])
        #expect(projected.map { $0.map(\.value) } == [["win-1", "m5.xlarge"], ["web-2", "t3.medium"]])
    }

    @Test("select aliases become the column titles")
    func aliasesAreColumns() throws {
        let query = try Query.parse("select name as NAME, InstanceType as type where powerState = 'On'")
        #expect(query.select.map(\.column) == ["NAME", "type"])
        #expect(query.project(Fleet.records[0]).map(\.value) == ["web-1", "t3.medium"])
    }

    @Test("running instances ordered by name: arm-1, db-1, web-1")
    func orderByName() throws {
        #expect(try Fleet.names("where powerState = 'On' order by name") == ["arm-1", "db-1", "web-1"])
    }

    // MARK: - Errors

    /// Parses and applies a query to the fleet, returning the error it must raise.
    private func failure(_ text: String) throws -> QueryError {
        do {
            _ = try Query.parse(text).apply(to: Fleet.records)
        } catch {
            return error
        }
        Issue.record("'\(text)' did not fail")
        throw CancellationError()
    }

    @Test("a condition cut short is a syntax error marked at the end of the query")
    func syntaxErrorAtEnd() throws {
        let error = try failure("where name =")
        #expect(error.kind == .syntax)
        #expect(error.position == 12)
        #expect(error.message == "expected a value after '=', found the end of the query")
        #expect(
            error.description == """
                expected a value after '=', found the end of the query
                  where name =
                              ^
                """)
    }

    @Test("a misspelt WHERE gets a suggestion")
    func whereTypo() throws {
        let error = try failure("wher name = 'x'")
        #expect(error.kind == .unknownKeyword)
        #expect(error.position == 0)
        #expect(error.message == "unknown keyword 'wher'; did you mean WHERE?")
    }

    @Test("IN with parentheses says it needs a [list]")
    func inNeedsList() throws {
        let error = try failure("where name in ('a')")
        #expect(error.position == 14)
        #expect(error.message.contains("IN needs a [list]"))
    }

    @Test("dividing by zero is an error")
    func divisionByZero() throws {
        let error = try failure("where 1 / 0 > 1")
        #expect(error.kind == .divisionByZero)
        #expect(error.message == "division by zero")
        #expect(error.position == 8)
    }

    @Test("an invalid regular expression is an error that points at the pattern")
    func invalidRegex() throws {
        let error = try failure("where name ~= '['")
        #expect(error.kind == .invalidRegex)
        #expect(error.message == "invalid regular expression '[': missing closing ']' for the class opened here")
        #expect(error.position == 14)
    }
}
