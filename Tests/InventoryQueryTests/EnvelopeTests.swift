import InventoryQuery
import MTVAPI
import Testing

/// The `[select …] [where …] [order by …] [limit N]` envelope: clause splitting, validation, filtering and sorting,
/// including the kubectl-mtv query package's cases.
@Suite("query envelope")
struct EnvelopeTests {
    private func error(_ text: String) throws -> QueryError {
        try #require(throws: QueryError.self) { try Query.parse(text) }
    }

    // MARK: - Parsing

    @Test("an empty or blank query selects everything in input order")
    func emptyQuery() throws {
        for text in ["", "   \n "] {
            let query = try Query.parse(text)
            #expect(query.select.isEmpty && query.whereClause == nil && query.orderBy.isEmpty && query.limit == nil)
            #expect(try query.apply(to: Fleet.records) == Fleet.records)
        }
        #expect(try Query().apply(to: Fleet.records) == Fleet.records)
    }

    @Test("SELECT with a plain field and an aliased field")
    func selectWithAlias() throws {
        let query = try Query.parse("SELECT foo, bar as baz")
        #expect(query.select.map(\.expression.text) == ["foo", "bar"])
        #expect(query.select.map(\.alias) == [nil, "baz"])
        #expect(query.select.map(\.column) == ["foo", "baz"])
        #expect(query.whereClause == nil)
    }

    @Test("WHERE followed by LIMIT, with no spaces around the operator")
    func whereThenLimit() throws {
        let query = try Query.parse("where count>0 limit 5")
        #expect(query.whereClause?.text == "count>0")
        #expect(query.limit == 5)
    }

    @Test("ORDER BY with mixed-case directions")
    func orderByDirections() throws {
        let query = try Query.parse("order by foo desc, bar ASC")
        #expect(query.orderBy.map(\.expression.text) == ["foo", "bar"])
        #expect(query.orderBy.map(\.descending) == [true, false])
    }

    @Test("all four clauses with a reducer in SELECT")
    func allClauses() throws {
        let query = try Query.parse("SELECT sum(x) as total, y WHERE y>1 ORDER BY x DESC, y LIMIT 10")
        #expect(query.select.map(\.column) == ["total", "y"])
        #expect(query.select[0].expression.text == "sum(x)")
        #expect(query.whereClause?.text == "y>1")
        #expect(query.orderBy.map(\.expression.text) == ["x", "y"])
        #expect(query.orderBy.map(\.descending) == [true, false])
        #expect(query.limit == 10)
    }

    @Test("SORT BY is a synonym of ORDER BY")
    func sortBy() throws {
        let query = try Query.parse("where a > 1 sort by name desc limit 3")
        #expect(query.orderBy.map(\.expression.text) == ["name"])
        #expect(query.orderBy.first?.descending == true)
        #expect(try Fleet.names("sort by name") == Fleet.names("order by name"))
    }

    @Test("a bare condition is a WHERE clause, and may be followed by other clauses")
    func bareCondition() throws {
        #expect(try Query.parse("cpuCount > 4").whereClause?.text == "cpuCount > 4")
        let query = try Query.parse("name = 'test' limit 5")
        #expect(query.whereClause?.text == "name = 'test'")
        #expect(query.limit == 5)
        #expect(try Fleet.names("powerState = 'On' order by name desc limit 2") == ["web-1", "db-1"])
    }

    @Test("len x and len(x) are the same reducer; sum value as total aliases a reducer")
    func prefixReducers() throws {
        let record: JSONValue = ["hello": [1, 2, 3], "value": [4, 5]]
        #expect(try QueryExpression.parse("len hello").evaluate(record) == 3)
        #expect(try QueryExpression.parse("len(hello)").evaluate(record) == 3)
        let query = try Query.parse("select sum value as total")
        #expect(query.select.map(\.column) == ["total"])
        #expect(query.project(record).map(\.value) == [9])
    }

    @Test("keywords are case-insensitive")
    func caseInsensitiveKeywords() throws {
        #expect(
            try Fleet.names("SeLeCt name WhErE powerState = 'On' AND name LIKE 'w%' OrDeR By name DeSc LiMiT 5")
                == ["web-1"])
        #expect(try Fleet.names("WHERE PublicIpAddress IS NOT NULL") == ["web-1", "arm-1"])
        #expect(
            try Fleet.names("where Architecture IN ['arm64'] OR NOT (powerState = 'On') order by name")
                == ["arm-1", "unnamed", "web-2", "win-1"])
        #expect(try Fleet.names("where loaned = TRUE or cpuCount = 4") == ["win-1"])
    }

    @Test("keywords inside quoted strings do not split or reject the query")
    func keywordsInStrings() throws {
        let query = try Query.parse("where name = 'order by x' or name = \"limit 5\" or name = 'where' order by name")
        #expect(query.whereClause?.text == "name = 'order by x' or name = \"limit 5\" or name = 'where'")
        #expect(query.orderBy.map(\.expression.text) == ["name"])
        #expect(query.limit == nil)
        let record: JSONValue = ["name": "order by x"]
        #expect(try query.matches(record))
        // Typo-looking words in strings are data, not misspelt keywords.
        #expect(try Query.parse("where note = 'were wher selct' limit 1").limit == 1)
        #expect(try Query.parse("select name where name = 'select * where x = 1'").select.count == 1)
    }

    @Test("LIMIT without WHERE keeps the first rows in input order")
    func limitWithoutWhere() throws {
        #expect(try Fleet.names("limit 2") == ["web-1", "web-2"])
        #expect(try Fleet.names("limit 0") == [])
        #expect(try Fleet.names("limit 100").count == 6)
        #expect(try Fleet.names("order by name limit 3") == ["arm-1", "db-1", "unnamed"])
    }

    @Test("ORDER BY several keys: the first decides, later ones break ties")
    func multipleSortKeys() throws {
        #expect(
            try Fleet.names("order by InstanceType, name desc")
                == ["arm-1", "win-1", "db-1", "web-2", "web-1", "unnamed"])
        #expect(
            try Fleet.names("order by powerState desc, memoryMB desc, name")
                == ["db-1", "arm-1", "web-1", "win-1", "web-2", "unnamed"])
    }

    @Test("a compound sort a asc, b desc orders (1,1),(1,2),(0,3) as (0,3),(1,2),(1,1)")
    func compoundSort() throws {
        let rows: [JSONValue] = [["a": 1, "b": 1], ["a": 1, "b": 2], ["a": 0, "b": 3]]
        #expect(try Query.parse("order by a asc, b desc").apply(to: rows) == [rows[2], rows[1], rows[0]])
    }

    @Test("sorting is stable, numbers sort numerically, strings lexically, nulls last either way")
    func sortRules() throws {
        let rows: [JSONValue] = [
            ["id": 1, "n": 10, "s": "b"], ["id": 2, "s": "a"], ["id": 3, "n": 9, "s": "b"],
            ["id": 4, "n": 10, "s": "B"], ["id": 5, "n": .null],
        ]
        func ids(_ text: String) throws -> [Int] {
            try Query.parse(text).apply(to: rows).map { $0["id"]?.intValue ?? -1 }
        }
        #expect(try ids("order by n") == [3, 1, 4, 2, 5])
        #expect(try ids("order by n desc") == [1, 4, 3, 2, 5])
        #expect(try ids("order by s") == [4, 2, 1, 3, 5])
        #expect(try ids("order by s desc") == [1, 3, 2, 4, 5])
    }

    @Test("sorting by a date string field orders by time, whatever the offset")
    func sortByDate() throws {
        #expect(
            try Fleet.names("order by LaunchTime")
                == ["unnamed", "web-2", "db-1", "web-1", "win-1", "arm-1"])
    }

    @Test("sorting by reducers and expressions")
    func sortByReducers() throws {
        #expect(
            try Fleet.names("select name, sum(disks[*].capacityGB) as totalDisk order by totalDisk desc limit 3")
                == ["db-1", "win-1", "web-1"])
        #expect(try Fleet.names("order by len(BlockDeviceMappings) desc, name limit 2") == ["db-1", "web-1"])
        #expect(try Fleet.names("order by any(Tags[*].Key = 'tier'), name limit 3") == ["arm-1", "unnamed", "win-1"])
        #expect(try Fleet.names("order by memoryMB / cpuCount desc, name limit 2") == ["db-1", "win-1"])
    }

    // MARK: - Aliases

    @Test("a SELECT alias can be used in WHERE")
    func aliasInWhere() throws {
        let rows: [JSONValue] = [["foo": 1], ["foo": 2], ["foo": 3]]
        #expect(try Query.parse("select foo as f where f > 2").apply(to: rows) == [["foo": 3]])
    }

    @Test("an aliased reducer can be used in WHERE")
    func aliasedReducerInWhere() throws {
        let rows: [JSONValue] = [["nums": [1, 2]], ["nums": [3, 4]]]
        #expect(try Query.parse("select sum(nums) as s where s > 5").apply(to: rows) == [["nums": [3, 4]]])
    }

    @Test("the guide's memory example: alias in WHERE and ORDER BY with limit")
    func guideMemoryExample() throws {
        let query = try Query.parse("select name, memoryMB as mem where mem > 4096 order by mem desc limit 5")
        let rows = try query.apply(to: Fleet.records)
        #expect(rows.map { $0["name"] } == ["db-1", "win-1"])
        #expect(query.project(rows[0]).map(\.column) == ["name", "mem"])
        #expect(query.project(rows[0]).map(\.value) == ["db-1", 16384])
    }

    @Test("projection gives nil for a missing field and computed values for expressions")
    func projection() throws {
        let query = try Query.parse("select name, PublicIpAddress, memoryMB / 1024 as memGB, len(disks) as disks")
        let unnamed = try #require(Fleet.records.last)
        #expect(query.project(unnamed).map(\.column) == ["name", "PublicIpAddress", "memGB", "disks"])
        #expect(query.project(unnamed).map(\.value) == [.string(Fleet.unnamedID), nil, 1, 1])
        // A column that cannot be computed for a record is blank rather than an error.
        let broken = try Query.parse("select name + 1 as bad")
        #expect(broken.project(unnamed).map(\.value) == [nil])
    }

    // MARK: - Filtering (kubectl-mtv filter cases)

    @Test("filters over simple records: comparisons, bare booleans, nesting, numeric equality across forms")
    func filterCases() throws {
        let rows: [JSONValue] = [
            ["foo": 1, "bar": "a", "baz": true, "n": ["x": 1], "a": 2, "b": 1, "c": false],
            ["foo": 2, "bar": "b", "baz": false, "n": ["x": 2], "a": 0, "b": 5, "c": true],
            ["foo": 3, "bar": "a", "n": ["x": 1.0], "a": 1, "b": 0, "c": false],
            ["foo": 5, "bar": 3.0, "a": 3, "b": 3],
        ]
        func foos(_ text: String) throws -> [Double] {
            try Query.parse(text).apply(to: rows).compactMap { $0["foo"]?.doubleValue }
        }
        #expect(try foos("foo>1") == [2, 3, 5])
        #expect(try foos("bar = \"a\"") == [1, 3])
        #expect(try foos("baz") == [1])
        #expect(try foos("foo > 1 and a < 2") == [2, 3])
        #expect(try foos("foo < 2 or foo > 4") == [1, 5])
        #expect(try foos("n.x = 1.0") == [1, 3])
        #expect(try foos("(a > 1 and b < 2) or c") == [1, 2])
        #expect(try foos("foo = 3.0") == [3])
        #expect(try foos("foo == 3") == [3])
        #expect(try foos("foo <> 3") == [1, 2, 5])
    }

    @Test("a date field matches an equal timestamp literal")
    func dateEquality() throws {
        let rows: [JSONValue] = [["date": "2020-01-02T15:04:05Z"], ["date": "2020-01-02T15:04:06Z"]]
        #expect(try Query.parse("date = \"2020-01-02T15:04:05Z\"").apply(to: rows) == [rows[0]])
        #expect(try Query.parse("date = '2020-01-02T17:04:05+02:00'").apply(to: rows) == [rows[0]])
    }

    @Test("the kubectl-mtv end-to-end forms work on the fleet")
    func endToEndForms() throws {
        #expect(try Fleet.names("cpuCount = 4") == Fleet.names("cpuCount == 4"))
        #expect(try Fleet.names("where name in ['web-1', 'arm-1']") == ["web-1", "arm-1"])
        #expect(try Fleet.names("where cpuCount between 1 and 64").count == 6)
        #expect(try Fleet.names("where not (name ~= 'web')") == ["db-1", "win-1", "arm-1", "unnamed"])
        #expect(try Fleet.names("where len(disks) >= 1").count == 6)
        #expect(try Fleet.names("where disks[0].capacityGB > 50") == ["db-1", "win-1"])
        #expect(try Fleet.names("where any(disks[*].capacityGB > 90)") == ["db-1"])
        #expect(try Fleet.names("order by name desc limit 3") == ["win-1", "web-2", "web-1"])
    }

    @Test("the suggested EC2-shaped cases")
    func ec2Cases() throws {
        #expect(try Fleet.names("where State.Name = 'running'") == ["web-1", "db-1", "arm-1"])
        #expect(try Fleet.names("where PublicIpAddress is null") == ["web-2", "db-1", "win-1", "unnamed"])
        #expect(try Fleet.names("where any(Tags[*].Value = 'production')") == ["web-1", "db-1", "win-1"])
        #expect(
            try Fleet.names("where InstanceType in ['t3.micro','t3.medium'] order by name desc limit 1")
                == ["web-2"])
        #expect(try Fleet.names("where LaunchTime > '2024-01-01'") == ["web-1", "db-1", "win-1", "arm-1"])
        #expect(try Fleet.names("where Placement.AvailabilityZone = 'us-east-1a'") == ["web-1", "db-1", "unnamed"])
        #expect(try Fleet.names("where PlatformDetails ~= '.*Linux.*' and Platform is null").count == 5)
        #expect(try Fleet.names("where BlockDeviceMappings[0].DeviceName = '/dev/xvda'").count == 6)
        #expect(try Fleet.names("where BlockDeviceMappings[1].DeviceName = '/dev/sdb'") == ["web-1", "db-1"])
        #expect(try Fleet.names("where sum(disks[*].capacityGB) >= 80") == ["db-1", "win-1"])
    }

    // MARK: - Validation

    struct Invalid: Sendable, CustomTestStringConvertible {
        let query: String
        let kind: QueryError.Kind
        let message: String
        let position: Int
        var testDescription: String { query }
    }

    static let invalid: [Invalid] = [
        Invalid(
            query: "SELCT name", kind: .unknownKeyword, message: "unknown keyword 'SELCT'; did you mean SELECT?",
            position: 0),
        Invalid(
            query: "slect name", kind: .unknownKeyword, message: "unknown keyword 'slect'; did you mean SELECT?",
            position: 0),
        Invalid(
            query: "SELECT name WHER id > 1", kind: .unknownKeyword,
            message: "unknown keyword 'WHER'; did you mean WHERE?", position: 12),
        Invalid(
            query: "select name were id > 1", kind: .unknownKeyword,
            message: "unknown keyword 'were'; did you mean WHERE?", position: 12),
        Invalid(
            query: "SELECT name LIMT 5", kind: .unknownKeyword,
            message: "unknown keyword 'LIMT'; did you mean LIMIT?", position: 12),
        Invalid(
            query: "where x = 1 lmit 5", kind: .unknownKeyword,
            message: "unknown keyword 'lmit'; did you mean LIMIT?", position: 12),
        Invalid(
            query: "ODER BY name", kind: .unknownKeyword, message: "unknown keyword 'ODER'; did you mean ORDER?",
            position: 0),
        Invalid(
            query: "where x = 1 ordr by name", kind: .unknownKeyword,
            message: "unknown keyword 'ordr'; did you mean ORDER?", position: 12),
        Invalid(
            query: "SROT BY name", kind: .unknownKeyword, message: "unknown keyword 'SROT'; did you mean SORT?",
            position: 0),
        Invalid(
            query: "where name lik 'a%'", kind: .unknownKeyword,
            message: "unknown keyword 'lik'; did you mean LIKE?", position: 11),
        Invalid(
            query: "where a = 1 adn b = 2", kind: .unknownKeyword,
            message: "unknown keyword 'adn'; did you mean AND?", position: 12),
        Invalid(
            query: "select a select b", kind: .duplicateClause,
            message: "duplicate SELECT clause: each clause may appear once", position: 9),
        Invalid(
            query: "where a = 1 where b = 2", kind: .duplicateClause,
            message: "duplicate WHERE clause: each clause may appear once", position: 12),
        Invalid(
            query: "a = 1 where b = 2", kind: .duplicateClause,
            message: "duplicate WHERE clause: each clause may appear once", position: 6),
        Invalid(
            query: "limit 1 limit 2", kind: .duplicateClause,
            message: "duplicate LIMIT clause: each clause may appear once", position: 8),
        Invalid(
            query: "order by a order by b", kind: .duplicateClause,
            message: "duplicate ORDER BY clause: each clause may appear once", position: 11),
        Invalid(
            query: "order by a sort by b", kind: .duplicateClause,
            message: "ORDER BY and SORT BY cannot both be used", position: 11),
        Invalid(
            query: "WHERE id > 1 SELECT name", kind: .clauseOrder,
            message: "SELECT must come before WHERE: the order is SELECT, WHERE, ORDER BY, LIMIT", position: 13),
        Invalid(
            query: "SELECT name LIMIT 5 WHERE id > 1", kind: .clauseOrder,
            message: "WHERE must come before LIMIT: the order is SELECT, WHERE, ORDER BY, LIMIT", position: 20),
        Invalid(
            query: "select", kind: .emptyClause,
            message: "empty SELECT clause: expected one or more fields, such as SELECT name, InstanceType",
            position: 0),
        Invalid(
            query: "select name where order by name", kind: .emptyClause,
            message: "empty WHERE clause: expected a condition, such as WHERE powerState = 'On'", position: 12),
        Invalid(
            query: "where a = 1 order by", kind: .emptyClause,
            message: "empty ORDER BY clause: expected one or more fields, such as ORDER BY name DESC",
            position: 12),
        Invalid(
            query: "where a = 1 limit", kind: .emptyClause,
            message: "empty LIMIT clause: expected a number of rows, such as LIMIT 10", position: 12),
        Invalid(
            query: "limit -1", kind: .syntax, message: "LIMIT needs a whole number of rows, found '-'", position: 6),
        Invalid(
            query: "limit 2.5", kind: .syntax, message: "LIMIT needs a whole number of rows, found number",
            position: 6),
        Invalid(query: "where a = 1 order name", kind: .syntax, message: "ORDER must be followed by BY", position: 12),
        Invalid(
            query: "where a = 1 foo", kind: .syntax,
            message: "expected AND, OR, ORDER BY, LIMIT or the end of the query, found 'foo'", position: 12),
        Invalid(
            query: "select name as where a = 1", kind: .syntax,
            message: "expected a column name after AS, found 'where'", position: 15),
    ]

    @Test("malformed queries are rejected with a precise message and position", arguments: invalid)
    func validation(_ testCase: Invalid) throws {
        let error = try error(testCase.query)
        #expect(error.kind == testCase.kind)
        #expect(error.message == testCase.message)
        #expect(error.position == testCase.position)
        #expect(error.query == testCase.query)
    }

    @Test("well-formed queries in either case pass validation")
    func validQueries() throws {
        _ = try Query.parse("SELECT name WHERE id > 1 ORDER BY name LIMIT 10")
        _ = try Query.parse("select name where ID > 1 order by name")
        // A field may be called `order` or `sort` when no BY follows.
        #expect(try Query.parse("where order > 1 and sort < 2").whereClause != nil)
    }

    @Test("the rendered error echoes the query with a caret under the position")
    func renderedError() throws {
        let error = try error("select name\nwher x = 1")
        #expect(
            error.description == """
                unknown keyword 'wher'; did you mean WHERE?
                  select name wher x = 1
                              ^
                """)
    }
}
