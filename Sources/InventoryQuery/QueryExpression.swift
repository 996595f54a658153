import MTVAPI

/// A parsed expression of the query language (TSL-compatible), ready to evaluate against many records.
public struct QueryExpression: Sendable, CustomStringConvertible {
    let node: Node
    /// The expression as written.
    public let text: String
    /// Character offset of the expression in the query text.
    public let position: Int
    /// The whole query text, so evaluation errors can point into it.
    let query: String

    /// Parses a bare expression such as `cpuCount > 4 and any(Tags[*].Key = 'tier')`.
    public static func parse(_ text: String) throws(QueryError) -> QueryExpression {
        do {
            var parser = try QueryParser(text)
            return try parser.parseStandaloneExpression()
        } catch {
            throw error.located(in: text)
        }
    }

    /// Evaluates the expression against a record; a missing field reads as `.null`.
    public func evaluate(_ record: JSONValue) throws(QueryError) -> JSONValue {
        do {
            return try Evaluator.evaluate(node, record)
        } catch {
            throw error.located(in: query)
        }
    }

    /// The field path, if the expression is nothing but one.
    public var fieldPath: FieldPath? {
        if case .field(let path) = node { return path }
        return nil
    }

    /// The expression as written.
    public var description: String { text }
}

/// The syntax tree. Nodes keep the character offset of their operator so evaluation errors can point at it.
indirect enum Node: Sendable {
    enum Reducer: String, Sendable {
        case len, any, all, sum
    }

    enum Arithmetic: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    }

    enum Relation: String, Sendable {
        case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    enum Logic: String, Sendable {
        case and, or
    }

    case literal(JSONValue)
    case field(FieldPath)
    case list([Node])
    case negate(Node, at: Int)
    case not(Node, at: Int)
    case reduce(Reducer, Node, at: Int)
    case arithmetic(Arithmetic, Node, Node, at: Int)
    case compare(Relation, Node, Node, at: Int)
    case logical(Logic, Node, Node, at: Int)
    case like(Node, LikePattern, negated: Bool, at: Int)
    case regex(Node, RegexPattern, negated: Bool, at: Int)
    case isNull(Node, negated: Bool)
    case between(Node, Node, Node, negated: Bool, at: Int)
    case member(Node, Node, negated: Bool, at: Int)

    /// Whether the node reads no field, so it can be evaluated once when the query is parsed. Operands are
    /// folded before the nodes built on them, so looking one level down is enough.
    var isConstant: Bool {
        switch self {
        case .literal: true
        case .field: false
        default: operands.allSatisfy { if case .literal = $0 { true } else { false } }
        }
    }

    /// The nodes this one is built on.
    var operands: [Node] {
        switch self {
        case .literal, .field: []
        case .list(let elements): elements
        case .negate(let operand, _), .not(let operand, _), .reduce(_, let operand, _), .isNull(let operand, _),
            .like(let operand, _, _, _), .regex(let operand, _, _, _):
            [operand]
        case .arithmetic(_, let lhs, let rhs, _), .compare(_, let lhs, let rhs, _), .logical(_, let lhs, let rhs, _),
            .member(let lhs, let rhs, _, _):
            [lhs, rhs]
        case .between(let value, let low, let high, _, _):
            [value, low, high]
        }
    }
}
