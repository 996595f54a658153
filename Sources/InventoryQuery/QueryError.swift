/// A query that cannot be parsed or evaluated, with the place in the query text it is about.
public struct QueryError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What kind of problem this is; new kinds can be added without breaking callers.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: String {
            case syntax, unknownKeyword, duplicateClause, clauseOrder, emptyClause, unknownFunction
            case invalidRegex, invalidPath, type, divisionByZero, limit
        }

        private let code: Code

        /// The text does not follow the grammar.
        public static let syntax = Kind(code: .syntax)
        /// A word that looks like a misspelt keyword.
        public static let unknownKeyword = Kind(code: .unknownKeyword)
        /// A clause keyword given twice.
        public static let duplicateClause = Kind(code: .duplicateClause)
        /// Clauses out of the SELECT, WHERE, ORDER BY, LIMIT order.
        public static let clauseOrder = Kind(code: .clauseOrder)
        /// A clause keyword with nothing after it.
        public static let emptyClause = Kind(code: .emptyClause)
        /// A call to a function the language does not have.
        public static let unknownFunction = Kind(code: .unknownFunction)
        /// A pattern after `~=` or `~!` that is not a valid regular expression.
        public static let invalidRegex = Kind(code: .invalidRegex)
        /// A field path that cannot be read, such as `a..b` or `a[`.
        public static let invalidPath = Kind(code: .invalidPath)
        /// An operator applied to values of the wrong type.
        public static let type = Kind(code: .type)
        /// `/` or `%` by zero.
        public static let divisionByZero = Kind(code: .divisionByZero)
        /// A query over one of `QueryLimits` (length, nesting, depth, path steps, evaluation time).
        public static let limit = Kind(code: .limit)

        /// The kind's name, such as `syntax`.
        public var description: String { code.rawValue }
    }

    /// What kind of problem this is.
    public let kind: Kind
    /// What went wrong, in words.
    public let message: String
    /// The character offset in the query text the error is about, if known.
    public let position: Int?
    /// The query text the error is about (empty when not known).
    public internal(set) var query: String

    /// Creates an error about `query` at a character offset.
    public init(_ kind: Kind, _ message: String, at position: Int?, in query: String = "") {
        self.kind = kind
        self.message = message
        self.position = position
        self.query = query
    }

    /// The message followed by the query with a caret under the position.
    public var rendered: String {
        guard let position, !query.isEmpty else { return message }
        // Newlines and tabs become spaces so the caret lines up with a one-line echo of the query.
        let line = String(query.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        let column = min(max(position, 0), line.count)
        return message + "\n  " + line + "\n  " + String(repeating: " ", count: column) + "^"
    }

    /// The rendered form: message, query and caret.
    public var description: String { rendered }

    /// The same error, attached to the query text it is about.
    func located(in text: String) -> QueryError {
        var copy = self
        if copy.query.isEmpty { copy.query = text }
        return copy
    }
}

extension QueryError {
    static func syntax(_ message: String, at position: Int) -> QueryError {
        QueryError(.syntax, message, at: position)
    }

    static func type(_ message: String, at position: Int) -> QueryError {
        QueryError(.type, message, at: position)
    }
}
