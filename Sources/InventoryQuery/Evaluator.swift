import MTVAPI

/// Walks a syntax tree over one record. Lists on either side of an operator are mapped element by element, two
/// lists of the same length are zipped, and `any`, `all`, `len` and `sum` reduce lists back to one value.
enum Evaluator {
    static func evaluate(_ node: Node, _ record: JSONValue) throws(QueryError) -> JSONValue {
        switch node {
        case .literal(let value):
            return value
        case .field(let path):
            return path.resolve(in: record) ?? .null
        case .list(let elements):
            return .array(try elements.map { element throws(QueryError) in try evaluate(element, record) })
        case .negate(let operand, let position):
            return try map(evaluate(operand, record)) { value throws(QueryError) in
                switch value {
                case .null: return .null
                case .number(let number): return .number(-number)
                default: throw .type("'-' needs a number, got \(Comparison.describe(value))", at: position)
                }
            }
        case .not(let operand, let position):
            return try map(evaluate(operand, record)) { value throws(QueryError) in
                .bool(!(try truth(value, "NOT", at: position)))
            }
        case .reduce(let reducer, let operand, let position):
            return try reduce(reducer, evaluate(operand, record), at: position)
        case .arithmetic(let operation, let lhs, let rhs, let position):
            return try map(evaluate(lhs, record), evaluate(rhs, record), at: position) { a, b throws(QueryError) in
                try arithmetic(operation, a, b, at: position)
            }
        case .compare(let relation, let lhs, let rhs, let position):
            return try map(evaluate(lhs, record), evaluate(rhs, record), at: position) { a, b throws(QueryError) in
                try compare(relation, a, b, at: position)
            }
        case .logical(let logic, let lhs, let rhs, let position):
            return try logical(logic, lhs, rhs, record, at: position)
        case .like(let operand, let pattern, let negated, let position):
            let name = pattern.caseInsensitive ? "ILIKE" : "LIKE"
            return try map(evaluate(operand, record)) { value throws(QueryError) in
                .bool(try text(value, name, at: position).map(pattern.matches) ?? false != negated)
            }
        case .regex(let operand, let pattern, let negated, let position):
            return try map(evaluate(operand, record)) { value throws(QueryError) in
                .bool(try text(value, negated ? "~!" : "~=", at: position).map(pattern.matches) ?? false != negated)
            }
        case .isNull(let operand, let negated):
            // Over a list that a path mapped or an operator computed, the test applies to each element (so
            // `all(NetworkInterfaces[*].PublicIp is not null)` needs every address); a field that holds a list is
            // tested as one value.
            var value: JSONValue
            var perElement: Bool
            if case .field(let path) = operand {
                let found = path.lookup(in: record)
                (value, perElement) = (found.value ?? .null, found.mapped)
            } else {
                value = try evaluate(operand, record)
                perElement = true
            }
            if perElement, case .array(let elements) = value {
                return .array(elements.map { .bool(($0 == .null) != negated) })
            }
            return .bool((value == .null) != negated)
        case .between(let operand, let low, let high, let negated, let position):
            let (lowValue, highValue) = (try evaluate(low, record), try evaluate(high, record))
            return try map(evaluate(operand, record)) { value throws(QueryError) in
                guard let fromLow = try Comparison.order(value, lowValue, operator: "BETWEEN", at: position),
                    let toHigh = try Comparison.order(value, highValue, operator: "BETWEEN", at: position)
                else { return .bool(negated) }
                return .bool((fromLow >= 0 && toHigh <= 0) != negated)
            }
        case .member(let operand, let list, let negated, let position):
            let items: [JSONValue]
            switch try evaluate(list, record) {
            case .array(let elements): items = elements
            case .null: items = []
            case let other:
                throw .type("IN needs a [list] in square brackets, got \(Comparison.describe(other))", at: position)
            }
            return try map(evaluate(operand, record)) { value in
                .bool(items.contains { Comparison.equal(value, $0) } != negated)
            }
        }
    }

    /// Whether a WHERE condition holds: true only for `true`; a missing value is false.
    static func condition(_ node: Node, _ record: JSONValue, at position: Int) throws(QueryError) -> Bool {
        switch try evaluate(node, record) {
        case .bool(let flag): return flag
        case .null: return false
        case .array:
            throw .type(
                "the condition gives a list of true/false values, one per element; wrap it in any(…) or all(…)",
                at: position
            )
        case let other:
            throw .type("the condition must be true or false, got \(Comparison.describe(other))", at: position)
        }
    }

    // MARK: - Mapping over lists

    private static func map(
        _ value: JSONValue, _ transform: (JSONValue) throws(QueryError) -> JSONValue
    ) throws(QueryError) -> JSONValue {
        guard case .array(let elements) = value else { return try transform(value) }
        return .array(try elements.map { element throws(QueryError) in try map(element, transform) })
    }

    private static func map(
        _ lhs: JSONValue, _ rhs: JSONValue, at position: Int,
        _ transform: (JSONValue, JSONValue) throws(QueryError) -> JSONValue
    ) throws(QueryError) -> JSONValue {
        switch (lhs, rhs) {
        case (.array(let left), .array(let right)):
            guard left.count == right.count else {
                throw .type(
                    "cannot combine lists of different lengths (\(left.count) and \(right.count)) element by element",
                    at: position
                )
            }
            return .array(
                try zip(left, right).map { pair throws(QueryError) in try map(pair.0, pair.1, at: position, transform) }
            )
        case (.array(let left), _):
            return .array(try left.map { item throws(QueryError) in try map(item, rhs, at: position, transform) })
        case (_, .array(let right)):
            return .array(try right.map { item throws(QueryError) in try map(lhs, item, at: position, transform) })
        default:
            return try transform(lhs, rhs)
        }
    }

    // MARK: - Operators

    /// A true/false operand; a missing value reads as false.
    private static func truth(_ value: JSONValue, _ operation: String, at position: Int) throws(QueryError) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .null: return false
        default: throw .type("\(operation) needs true/false values, got \(Comparison.describe(value))", at: position)
        }
    }

    /// A string operand for pattern operators; nil for a missing value.
    private static func text(_ value: JSONValue, _ operation: String, at position: Int) throws(QueryError) -> String? {
        switch value {
        case .string(let text): return text
        case .null: return nil
        default: throw .type("\(operation) needs a string, got \(Comparison.describe(value))", at: position)
        }
    }

    private static func logical(
        _ logic: Node.Logic, _ lhs: Node, _ rhs: Node, _ record: JSONValue, at position: Int
    ) throws(QueryError) -> JSONValue {
        let name = logic.rawValue.uppercased()
        let combine = { (a: JSONValue, b: JSONValue) throws(QueryError) -> JSONValue in
            let (first, second) = (try truth(a, name, at: position), try truth(b, name, at: position))
            return .bool(logic == .and ? first && second : first || second)
        }
        let left = try evaluate(lhs, record)
        if case .array = left { return try map(left, evaluate(rhs, record), at: position, combine) }
        let leftTruth = try truth(left, name, at: position)
        // Short-circuit, so `x is not null and x > 1` never looks at a missing x.
        if logic == .and, !leftTruth { return .bool(false) }
        if logic == .or, leftTruth { return .bool(true) }
        let right = try evaluate(rhs, record)
        if case .array = right { return try map(.bool(leftTruth), right, at: position, combine) }
        return .bool(try truth(right, name, at: position))
    }

    private static func arithmetic(
        _ operation: Node.Arithmetic, _ lhs: JSONValue, _ rhs: JSONValue, at position: Int
    ) throws(QueryError) -> JSONValue {
        if operation == .divide || operation == .remainder, case .number(let divisor) = rhs,
            (operation == .divide ? divisor : divisor.rounded(.towardZero)) == 0
        {
            throw QueryError(.divisionByZero, "division by zero", at: position)
        }
        switch (lhs, rhs) {
        case (.null, _), (_, .null):
            return .null
        case (.number(let a), .number(let b)):
            switch operation {
            case .add: return .number(a + b)
            case .subtract: return .number(a - b)
            case .multiply: return .number(a * b)
            case .divide: return .number(a / b)
            case .remainder:
                return .number(a.rounded(.towardZero).truncatingRemainder(dividingBy: b.rounded(.towardZero)))
            }
        default:
            let operands = "\(Comparison.describe(lhs)) and \(Comparison.describe(rhs))"
            throw .type("'\(operation.rawValue)' needs numbers, got \(operands)", at: position)
        }
    }

    private static func compare(
        _ relation: Node.Relation, _ lhs: JSONValue, _ rhs: JSONValue, at position: Int
    ) throws(QueryError) -> JSONValue {
        switch relation {
        case .equal: return .bool(Comparison.equal(lhs, rhs))
        case .notEqual: return .bool(!Comparison.equal(lhs, rhs))
        default:
            guard let order = try Comparison.order(lhs, rhs, operator: relation.rawValue, at: position) else {
                return .bool(false)
            }
            switch relation {
            case .less: return .bool(order < 0)
            case .lessOrEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        }
    }

    private static func reduce(
        _ reducer: Node.Reducer, _ value: JSONValue, at position: Int
    ) throws(QueryError) -> JSONValue {
        let name = reducer.rawValue + "()"
        switch (reducer, value) {
        case (_, .null):
            return reducer == .any || reducer == .all ? .bool(false) : .null
        case (.len, .array(let elements)): return .number(Double(elements.count))
        case (.len, .string(let text)): return .number(Double(text.count))
        case (.len, .object(let fields)): return .number(Double(fields.count))
        case (.any, .bool), (.all, .bool): return value
        case (.any, .array(let elements)):
            for element in elements {
                if try truth(element, name, at: position) { return .bool(true) }
            }
            return .bool(false)
        case (.all, .array(let elements)):
            guard !elements.isEmpty else { return .bool(false) }
            for element in elements {
                if try !truth(element, name, at: position) { return .bool(false) }
            }
            return .bool(true)
        case (.sum, .number): return value
        case (.sum, .array(let elements)):
            var total = 0.0
            for element in elements {
                switch element {
                case .number(let number): total += number
                case .null: continue
                default: throw .type("sum() needs numbers, got \(Comparison.describe(element))", at: position)
                }
            }
            return .number(total)
        default:
            let needs =
                switch reducer {
                case .len: "a list or a string"
                case .any, .all: "a list of true/false values"
                case .sum: "a list of numbers"
                }
            throw .type("\(name) needs \(needs), got \(Comparison.describe(value))", at: position)
        }
    }
}
