import MTVAPI

/// The expression grammar. Every function leaves the tree depth of the node it returns in `lastDepth`, and the
/// limits of `QueryLimits` are checked as nodes are built, so neither the parser nor the evaluator ever recurses
/// deeper than they allow.
extension QueryParser {
    mutating func parseExpression() throws(QueryError) -> QueryExpression {
        let start = current.start
        let node = try parseOr()
        let end = max(previous?.end ?? start, start)
        return QueryExpression(node: node, text: String(chars[start..<end]), position: start, query: text)
    }

    // MARK: - Building nodes

    /// A node without operands.
    mutating func leaf(_ node: Node) -> Node {
        lastDepth = 1
        return node
    }

    /// A node built on operands of the given depths: checks the depth limit, folds it when it reads no field (so
    /// constant mistakes such as `1 / 0` surface at once and constant lists are built once), and records its depth.
    private mutating func build(_ node: Node, operands: Int..., at position: Int) throws(QueryError) -> Node {
        let depth = (operands.max() ?? 0) + 1
        guard depth <= QueryLimits.maxDepth else {
            throw QueryError(
                .limit,
                "the expression is nested more than \(QueryLimits.maxDepth) levels deep (operator chains count too); "
                    + "simplify it, for example with IN [list]", at: position)
        }
        guard node.isConstant else {
            lastDepth = depth
            return node
        }
        lastDepth = 1
        return .literal(try Evaluator.evaluate(node, .null))
    }

    /// Enters a parenthesis, list, NOT or prefix operator; `leave()` must follow.
    private mutating func enter(_ token: Token) throws(QueryError) {
        nesting += 1
        guard nesting <= QueryLimits.maxNesting else {
            throw QueryError(
                .limit,
                "parentheses, lists, NOT and prefix operators nest more than \(QueryLimits.maxNesting) levels deep",
                at: token.start)
        }
    }

    private mutating func leave() {
        nesting -= 1
    }

    // MARK: - Precedence levels

    private mutating func parseOr() throws(QueryError) -> Node {
        var node = try parseAnd()
        while current.isWord("or") {
            let (operation, left) = (advance(), lastDepth)
            let right = try parseAnd()
            node = try build(
                .logical(.or, node, right, at: operation.start), operands: left, lastDepth,
                at: operation.start)
        }
        return node
    }

    private mutating func parseAnd() throws(QueryError) -> Node {
        var node = try parseNot()
        while current.isWord("and") {
            let (operation, left) = (advance(), lastDepth)
            let right = try parseNot()
            node = try build(
                .logical(.and, node, right, at: operation.start), operands: left, lastDepth,
                at: operation.start)
        }
        return node
    }

    /// NOT binds looser than comparisons, as in SQL: `not name = 'x'` is `not (name = 'x')`.
    private mutating func parseNot() throws(QueryError) -> Node {
        guard current.isWord("not") else { return try parseComparison() }
        let operation = advance()
        try enter(operation)
        defer { leave() }
        let operand = try parseNot()
        return try build(.not(operand, at: operation.start), operands: lastDepth, at: operation.start)
    }

    static let relations: [String: Node.Relation] = [
        "=": .equal, "==": .equal, "!=": .notEqual, "<>": .notEqual,
        "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    private mutating func parseComparison() throws(QueryError) -> Node {
        var node = try parsePredicate()
        while case .symbol(let symbol) = current.kind {
            if let relation = Self.relations[symbol] {
                let (operation, left) = (advance(), lastDepth)
                let right = try parsePredicate()
                node = try build(
                    .compare(relation, node, right, at: operation.start), operands: left, lastDepth,
                    at: operation.start)
            } else if symbol == "~=" || symbol == "~!" {
                let (operation, left) = (advance(), lastDepth)
                guard case .string(let source) = current.kind else {
                    throw QueryError.syntax(
                        "\(symbol) needs a regular expression in quotes after it, found \(current.display)",
                        at: current.start
                    )
                }
                let patternToken = advance()
                let pattern: RegexPattern
                do {
                    pattern = try RegexPattern(source)
                } catch {
                    throw QueryError(
                        .invalidRegex, "invalid regular expression '\(source)': \(error.reason)",
                        at: patternToken.start
                    )
                }
                node = try build(
                    .regex(node, pattern, negated: symbol == "~!", at: operation.start), operands: left,
                    at: operation.start)
            } else {
                break
            }
        }
        return node
    }

    private mutating func parsePredicate() throws(QueryError) -> Node {
        var node = try parseAdditive()
        while true {
            let operation = current
            let left = lastDepth
            var negated = false
            if current.isWord("not"), let next = tokens[index + 1].lowercasedWord,
                ["like", "ilike", "in", "between"].contains(next)
            {
                advance()
                negated = true
            }
            switch current.lowercasedWord {
            case "like", "ilike":
                let keyword = advance()
                guard case .string(let source) = current.kind else {
                    throw QueryError.syntax(
                        "\(keyword.lowercasedWord!.uppercased()) needs a pattern in quotes after it, found "
                            + current.display,
                        at: current.start
                    )
                }
                advance()
                let pattern = LikePattern(source, caseInsensitive: keyword.isWord("ilike"))
                node = try build(
                    .like(node, pattern, negated: negated, at: operation.start), operands: left,
                    at: operation.start)
            case "is":
                advance()
                var isNot = false
                if current.isWord("not") {
                    advance()
                    isNot = true
                }
                guard current.isWord("null") else {
                    throw QueryError.syntax(
                        "expected NULL or NOT NULL after IS, found \(current.display)", at: current.start
                    )
                }
                advance()
                node = try build(.isNull(node, negated: isNot), operands: left, at: operation.start)
            case "between":
                advance()
                let low = try parseAdditive()
                let lowDepth = lastDepth
                guard current.isWord("and") else {
                    throw QueryError.syntax(
                        "BETWEEN needs AND between its two bounds, found \(current.display)", at: current.start
                    )
                }
                advance()
                let high = try parseAdditive()
                node = try build(
                    .between(node, low, high, negated: negated, at: operation.start),
                    operands: left, lowDepth, lastDepth, at: operation.start)
            case "in":
                advance()
                let list = try parseInList()
                node = try build(
                    .member(node, list, negated: negated, at: operation.start), operands: left,
                    lastDepth, at: operation.start)
            default:
                return node
            }
        }
    }

    /// The right side of IN: a `[list]`, a field holding a list, or a parenthesised expression giving a list
    /// (`5 in (numbers + 2)`). A parenthesised list of values is the SQL habit the language does not share.
    private mutating func parseInList() throws(QueryError) -> Node {
        let start = current
        let listNeeded = QueryError.syntax(
            "IN needs a [list] in square brackets, such as name in ['a', 'b'], not parentheses", at: start.start
        )
        let node: Node
        if start.isSymbol("(") {
            advance()
            try enter(start)
            defer { leave() }
            if current.isSymbol(")") { throw listNeeded }
            let inner = try parseOr()
            if current.isSymbol(",") { throw listNeeded }
            try expectClosing(")", opened: start)
            node = inner
        } else {
            node = try parseUnary()
        }
        if case .literal(let value) = node, value.arrayValue == nil {
            throw start.isSymbol("(")
                ? listNeeded
                : QueryError.syntax("IN needs a [list] in square brackets, such as name in ['a', 'b']", at: start.start)
        }
        return node
    }

    private mutating func parseAdditive() throws(QueryError) -> Node {
        var node = try parseMultiplicative()
        while case .symbol(let symbol) = current.kind, symbol == "+" || symbol == "-" {
            let (operation, left) = (advance(), lastDepth)
            let right = try parseMultiplicative()
            node = try build(
                .arithmetic(symbol == "+" ? .add : .subtract, node, right, at: operation.start),
                operands: left, lastDepth, at: operation.start)
        }
        return node
    }

    private mutating func parseMultiplicative() throws(QueryError) -> Node {
        var node = try parseUnary()
        while case .symbol(let symbol) = current.kind, let operation = Node.Arithmetic(rawValue: symbol),
            operation == .multiply || operation == .divide || operation == .remainder
        {
            let (token, left) = (advance(), lastDepth)
            let right = try parseUnary()
            node = try build(
                .arithmetic(operation, node, right, at: token.start), operands: left, lastDepth,
                at: token.start)
        }
        return node
    }

    /// Prefix operators: `-x`, `+x`, and the reducers `len`, `any`, `all`, `sum` (`len x` equals `len(x)`).
    private mutating func parseUnary() throws(QueryError) -> Node {
        let reducer = current.lowercasedWord.flatMap(Node.Reducer.init(rawValue:))
        guard current.isSymbol("-") || current.isSymbol("+") || reducer != nil else { return try parsePrimary() }
        let operation = advance()
        // `len(x)` nests once, in its parentheses; `len x` and `- x` nest here.
        let nests = !current.isSymbol("(")
        if nests { try enter(operation) }
        defer { if nests { leave() } }
        let operand = try parseUnary()
        if let reducer {
            return try build(.reduce(reducer, operand, at: operation.start), operands: lastDepth, at: operation.start)
        }
        if operation.isSymbol("+") { return operand }
        return try build(.negate(operand, at: operation.start), operands: lastDepth, at: operation.start)
    }

    private mutating func parsePrimary() throws(QueryError) -> Node {
        let token = current
        switch token.kind {
        case .number(let number):
            advance()
            return leaf(.literal(.number(number)))
        case .string(let text):
            advance()
            return leaf(.literal(.string(text)))
        case .symbol("("):
            advance()
            try enter(token)
            defer { leave() }
            if current.isSymbol(")") { throw QueryError.syntax("expected a value inside '( )'", at: current.start) }
            let inner = try parseOr()
            try expectClosing(")", opened: token)
            return inner
        case .symbol("["):
            advance()
            try enter(token)
            defer { leave() }
            var elements: [Node] = []
            var deepest = 0
            while !current.isSymbol("]") {
                elements.append(try parseOr())
                deepest = max(deepest, lastDepth)
                if current.isSymbol(",") {
                    advance()
                } else if !current.isSymbol("]") {
                    throw unexpected(expected: "',' or ']' in the list opened at offset \(token.start)")
                }
            }
            advance()
            return try build(.list(elements), operands: deepest, at: token.start)
        case .word(let word):
            return try parseWord(word, token)
        case .symbol, .end:
            throw expectedValue()
        }
    }
}
