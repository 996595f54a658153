/// A parsed inventory query: `[select …] [where …] [order by …] [limit N]`.
public struct Query: Sendable {
    /// The row limit, if the query has one.
    public var limit: Int?

    /// Creates an empty query that selects everything.
    public init(limit: Int? = nil) {
        self.limit = limit
    }
}
