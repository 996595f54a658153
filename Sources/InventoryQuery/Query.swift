import MTVAPI

/// A parsed inventory query: `[select field [as alias], …] [where EXPR] [order by field [asc|desc], …] [limit N]`.
///
/// Parse once, then filter, sort and project any number of records without parsing again.
public struct Query: Sendable {
    /// The query as written.
    public let text: String
    /// The SELECT columns, in order; empty when every field is wanted.
    public internal(set) var select: [SelectItem] = []
    /// The WHERE condition, if any.
    public internal(set) var whereClause: QueryExpression?
    /// The ORDER BY (or SORT BY) keys, most significant first.
    public internal(set) var orderBy: [SortKey] = []
    /// The row limit, if the query has one.
    public internal(set) var limit: Int?

    /// An empty query: every record, in input order.
    public init() {
        text = ""
    }

    init(text: String) {
        self.text = text
    }

    /// Parses query text; keywords are case-insensitive and text without a leading keyword is a WHERE condition.
    public static func parse(_ text: String) throws(QueryError) -> Query {
        do {
            var parser = try QueryParser(text)
            return try parser.parseQuery()
        } catch {
            throw error.located(in: text)
        }
    }

    /// Whether a record passes the WHERE clause; only a `true` result passes, a missing value does not.
    public func matches(_ record: JSONValue) throws(QueryError) -> Bool {
        guard let whereClause else { return true }
        do {
            return try Evaluator.condition(whereClause.node, record, at: whereClause.position)
        } catch {
            throw error.located(in: text)
        }
    }

    /// Filters, sorts (stable, nulls last in either direction) and limits records, failing with a `limit` error
    /// once filtering has taken more than `timeLimit` seconds.
    public func apply(
        to records: [JSONValue], timeLimit: Double = QueryLimits.maxEvaluationSeconds
    )
        throws(QueryError) -> [JSONValue]
    {
        try positions(in: records, timeLimit: timeLimit).map { records[$0] }
    }

    /// The positions of the records `apply` keeps, in the order it gives them.
    public func positions(
        in records: [JSONValue], timeLimit: Double = QueryLimits.maxEvaluationSeconds
    )
        throws(QueryError) -> [Int]
    {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(max(0, timeLimit) * 1000))
        var kept: [Int] = []
        for (offset, record) in records.enumerated() {
            if clock.now > deadline {
                throw QueryError(
                    .limit,
                    "the query used up its time budget (\(timeLimit) s) after \(offset + 1) of \(records.count) "
                        + "records; narrow it down or use simpler patterns", at: nil, in: text)
            }
            if try matches(record) { kept.append(offset) }
        }
        if !orderBy.isEmpty { kept = try sorted(kept, of: records) }
        if let limit, kept.count > limit { kept.removeSubrange(limit...) }
        return kept
    }

    /// The SELECT columns of a record: column title (alias, or the expression as written) and value (nil when
    /// missing or when the expression cannot be evaluated for this record).
    public func project(_ record: JSONValue) -> [(column: String, value: JSONValue?)] {
        select.map { item in (item.column, item.value(in: record)) }
    }

    private func sorted(_ positions: [Int], of records: [JSONValue]) throws(QueryError) -> [Int] {
        // Decorate with the keys once per record, then sort with the input position as the final tie-break.
        var decorated: [(keys: [JSONValue], offset: Int)] = []
        decorated.reserveCapacity(positions.count)
        for offset in positions {
            var keys: [JSONValue] = []
            for key in orderBy { keys.append(try key.expression.evaluate(records[offset])) }
            decorated.append((keys, offset))
        }
        decorated.sort { lhs, rhs in
            for (position, key) in orderBy.enumerated() {
                let (a, b) = (lhs.keys[position], rhs.keys[position])
                switch (a, b) {
                case (.null, .null): continue
                case (.null, _): return false
                case (_, .null): return true
                default:
                    let order = Comparison.sortOrder(a, b)
                    if order != 0 { return key.descending ? order > 0 : order < 0 }
                }
            }
            return lhs.offset < rhs.offset
        }
        return decorated.map(\.offset)
    }
}

/// One SELECT column: an expression (usually a field path) and an optional alias.
public struct SelectItem: Sendable {
    /// The expression that gives the column's value.
    public let expression: QueryExpression
    /// The name given with AS, if any.
    public let alias: String?

    /// The column title: the alias, or the expression as written.
    public var column: String { alias ?? expression.text }

    /// The column's value in a record; nil when missing or not computable.
    public func value(in record: JSONValue) -> JSONValue? {
        if let path = expression.fieldPath { return path.resolve(in: record) }
        guard let value = try? expression.evaluate(record), value != .null else { return nil }
        return value
    }
}

/// One ORDER BY key.
public struct SortKey: Sendable {
    /// The expression to sort by.
    public let expression: QueryExpression
    /// Whether the order is descending (DESC).
    public let descending: Bool
}
