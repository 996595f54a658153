import MTVAPI

/// A recursive-descent parser over the token list: the query envelope (clauses) and the expression grammar.
///
/// Expression precedence, lowest first: OR; AND; NOT; `= != < <= > >= ~= ~!`; LIKE, ILIKE, IS, BETWEEN, IN;
/// `+ -`; `* / %`; prefix `len any all sum - +`.
struct QueryParser {
    enum Clause: Int, Comparable {
        case select, `where`, orderBy, limit

        static func < (lhs: Clause, rhs: Clause) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    private let tokens: [Token]
    private let chars: [Character]
    let text: String
    private var index = 0
    /// SELECT aliases, usable by name in WHERE and ORDER BY.
    private var aliases: [String: Node] = [:]

    init(_ text: String) throws(QueryError) {
        self.text = text
        chars = Array(text)
        tokens = try Lexer.tokenize(text)
    }

    // MARK: - Token access

    private var current: Token { tokens[index] }

    private var previous: Token? { index > 0 ? tokens[index - 1] : nil }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    /// The clause keyword starting at a token (`where`, `order by`, …): the clause, its display name and how many
    /// tokens it takes. Only unquoted words count, so `'order by x'` in a string is never a keyword.
    private func clauseKeyword(at position: Int) -> (clause: Clause, name: String, length: Int)? {
        switch tokens[position].lowercasedWord {
        case "select": return (.select, "SELECT", 1)
        case "where": return (.where, "WHERE", 1)
        case "limit": return (.limit, "LIMIT", 1)
        case let word? where (word == "order" || word == "sort") && tokens[position + 1].isWord("by"):
            return (.orderBy, word == "order" ? "ORDER BY" : "SORT BY", 2)
        default: return nil
        }
    }

    private var atClauseEnd: Bool { current.kind == .end || clauseKeyword(at: index) != nil }

    // MARK: - Envelope

    mutating func parseQuery() throws(QueryError) -> Query {
        var query = Query(text: text)
        var seen: [Clause: String] = [:]
        var last: (clause: Clause, name: String)?
        // A query that does not start with a clause keyword is a bare condition: `cpuCount > 4` means WHERE.
        var implicitWhere = current.kind != .end && clauseKeyword(at: index) == nil

        while current.kind != .end {
            let keywordToken = current
            let clause: Clause
            let name: String
            if implicitWhere {
                (clause, name) = (.where, "WHERE")
                implicitWhere = false
            } else {
                guard let keyword = clauseKeyword(at: index) else {
                    throw unexpected(expected: "SELECT, WHERE, ORDER BY, LIMIT or the end of the query")
                }
                (clause, name) = (keyword.clause, keyword.name)
                for _ in 0..<keyword.length { advance() }
            }

            if let earlier = seen[clause] {
                let message =
                    earlier == name
                    ? "duplicate \(name) clause: each clause may appear once"
                    : "\(earlier) and \(name) cannot both be used"
                throw QueryError(.duplicateClause, message, at: keywordToken.start)
            }
            if let last, last.clause > clause {
                throw QueryError(
                    .clauseOrder,
                    "\(name) must come before \(last.name): the order is SELECT, WHERE, ORDER BY, LIMIT",
                    at: keywordToken.start
                )
            }
            seen[clause] = name
            last = (clause, name)
            if atClauseEnd {
                throw QueryError(.emptyClause, "empty \(name) clause: \(Self.needs(clause))", at: keywordToken.start)
            }

            switch clause {
            case .select:
                query.select = try parseSelectList()
                for item in query.select { if let alias = item.alias { aliases[alias] = item.expression.node } }
                if !atClauseEnd {
                    throw unexpected(expected: "',', AS, WHERE, ORDER BY, LIMIT or the end of the query")
                }
            case .where:
                query.whereClause = try parseExpression()
                if !atClauseEnd { throw unexpected(expected: "AND, OR, ORDER BY, LIMIT or the end of the query") }
            case .orderBy:
                query.orderBy = try parseSortKeys()
                if !atClauseEnd { throw unexpected(expected: "',', ASC, DESC, LIMIT or the end of the query") }
            case .limit:
                query.limit = try parseLimit()
                if !atClauseEnd { throw unexpected(expected: "the end of the query after LIMIT") }
            }
        }
        return query
    }

    private static func needs(_ clause: Clause) -> String {
        switch clause {
        case .select: "expected one or more fields, such as SELECT name, InstanceType"
        case .where: "expected a condition, such as WHERE powerState = 'On'"
        case .orderBy: "expected one or more fields, such as ORDER BY name DESC"
        case .limit: "expected a number of rows, such as LIMIT 10"
        }
    }

    private mutating func parseSelectList() throws(QueryError) -> [SelectItem] {
        var items: [SelectItem] = []
        while true {
            let expression = try parseExpression()
            var alias: String?
            if current.isWord("as") {
                advance()
                switch current.kind {
                case .word(let word) where !word.contains(".") && !word.contains("[") && !isReserved(at: index):
                    alias = word
                case .string(let quoted):
                    alias = quoted
                default:
                    throw QueryError.syntax(
                        "expected a column name after AS, found \(current.display)", at: current.start)
                }
                advance()
            }
            items.append(SelectItem(expression: expression, alias: alias))
            guard current.isSymbol(",") else { return items }
            advance()
        }
    }

    private mutating func parseSortKeys() throws(QueryError) -> [SortKey] {
        var keys: [SortKey] = []
        while true {
            let expression = try parseExpression()
            var descending = false
            if current.isWord("asc") {
                advance()
            } else if current.isWord("desc") {
                advance()
                descending = true
            }
            keys.append(SortKey(expression: expression, descending: descending))
            guard current.isSymbol(",") else { return keys }
            advance()
        }
    }

    private mutating func parseLimit() throws(QueryError) -> Int {
        guard case .number(let count) = current.kind, count.rounded() == count, count < 1e15 else {
            throw QueryError.syntax("LIMIT needs a whole number of rows, found \(current.display)", at: current.start)
        }
        advance()
        return Int(count)
    }

    mutating func parseStandaloneExpression() throws(QueryError) -> QueryExpression {
        guard current.kind != .end else { throw QueryError.syntax("the expression is empty", at: 0) }
        let expression = try parseExpression()
        guard current.kind == .end else { throw unexpected(expected: "AND, OR or the end of the expression") }
        return expression
    }

    // MARK: - Expressions

    private mutating func parseExpression() throws(QueryError) -> QueryExpression {
        let start = current.start
        let node = try parseOr()
        let end = max(previous?.end ?? start, start)
        return QueryExpression(node: node, text: String(chars[start..<end]), position: start, query: text)
    }

    /// Builds a node, evaluating it right away when it reads no field, so constant mistakes such as `1 / 0`
    /// surface when the query is parsed and constant lists are built once.
    private func make(_ node: Node) throws(QueryError) -> Node {
        guard node.isConstant else { return node }
        return .literal(try Evaluator.evaluate(node, .null))
    }

    private mutating func parseOr() throws(QueryError) -> Node {
        var node = try parseAnd()
        while current.isWord("or") {
            let operation = advance()
            node = try make(.logical(.or, node, try parseAnd(), at: operation.start))
        }
        return node
    }

    private mutating func parseAnd() throws(QueryError) -> Node {
        var node = try parseNot()
        while current.isWord("and") {
            let operation = advance()
            node = try make(.logical(.and, node, try parseNot(), at: operation.start))
        }
        return node
    }

    /// NOT binds looser than comparisons, as in SQL: `not name = 'x'` is `not (name = 'x')`.
    private mutating func parseNot() throws(QueryError) -> Node {
        guard current.isWord("not") else { return try parseComparison() }
        let operation = advance()
        return try make(.not(try parseNot(), at: operation.start))
    }

    private static let relations: [String: Node.Relation] = [
        "=": .equal, "==": .equal, "!=": .notEqual, "<>": .notEqual,
        "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    private mutating func parseComparison() throws(QueryError) -> Node {
        var node = try parsePredicate()
        while case .symbol(let symbol) = current.kind {
            if let relation = Self.relations[symbol] {
                let operation = advance()
                node = try make(.compare(relation, node, try parsePredicate(), at: operation.start))
            } else if symbol == "~=" || symbol == "~!" {
                let operation = advance()
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
                        .invalidRegex, "invalid regular expression '\(source)': \(error.reason)", at: patternToken.start
                    )
                }
                node = try make(.regex(node, pattern, negated: symbol == "~!", at: operation.start))
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
                node = try make(.like(node, pattern, negated: negated, at: operation.start))
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
                node = try make(.isNull(node, negated: isNot))
            case "between":
                advance()
                let low = try parseAdditive()
                guard current.isWord("and") else {
                    throw QueryError.syntax(
                        "BETWEEN needs AND between its two bounds, found \(current.display)", at: current.start
                    )
                }
                advance()
                let high = try parseAdditive()
                node = try make(.between(node, low, high, negated: negated, at: operation.start))
            case "in":
                advance()
                let list = try parseInList()
                node = try make(.member(node, list, negated: negated, at: operation.start))
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
            let operation = advance()
            let rhs = try parseMultiplicative()
            node = try make(.arithmetic(symbol == "+" ? .add : .subtract, node, rhs, at: operation.start))
        }
        return node
    }

    private mutating func parseMultiplicative() throws(QueryError) -> Node {
        var node = try parseUnary()
        while case .symbol(let symbol) = current.kind, let operation = Node.Arithmetic(rawValue: symbol),
            operation == .multiply || operation == .divide || operation == .remainder
        {
            let token = advance()
            node = try make(.arithmetic(operation, node, try parseUnary(), at: token.start))
        }
        return node
    }

    /// Prefix operators: `-x`, `+x`, and the reducers `len`, `any`, `all`, `sum` (`len x` equals `len(x)`).
    private mutating func parseUnary() throws(QueryError) -> Node {
        if current.isSymbol("-") {
            let operation = advance()
            return try make(.negate(try parseUnary(), at: operation.start))
        }
        if current.isSymbol("+") {
            advance()
            return try parseUnary()
        }
        if let word = current.lowercasedWord, let reducer = Node.Reducer(rawValue: word) {
            let operation = advance()
            return try make(.reduce(reducer, try parseUnary(), at: operation.start))
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(QueryError) -> Node {
        let token = current
        switch token.kind {
        case .number(let number):
            advance()
            return .literal(.number(number))
        case .string(let text):
            advance()
            return .literal(.string(text))
        case .symbol("("):
            advance()
            if current.isSymbol(")") { throw QueryError.syntax("expected a value inside '( )'", at: current.start) }
            let inner = try parseOr()
            try expectClosing(")", opened: token)
            return inner
        case .symbol("["):
            advance()
            var elements: [Node] = []
            while !current.isSymbol("]") {
                elements.append(try parseOr())
                if current.isSymbol(",") {
                    advance()
                } else if !current.isSymbol("]") {
                    throw unexpected(expected: "',' or ']' in the list opened at offset \(token.start)")
                }
            }
            advance()
            return try make(.list(elements))
        case .word(let word):
            return try parseWord(word, token)
        case .symbol, .end:
            throw expectedValue()
        }
    }

    private mutating func parseWord(_ word: String, _ token: Token) throws(QueryError) -> Node {
        let lowered = word.lowercased()
        switch lowered {
        case "true", "false":
            advance()
            return .literal(.bool(lowered == "true"))
        case "null":
            if let previous, case .symbol(let symbol) = previous.kind, Self.relations[symbol] != nil {
                throw QueryError.syntax(
                    "null cannot be compared with \(symbol); use IS NULL or IS NOT NULL", at: token.start
                )
            }
            throw QueryError.syntax("null can only be tested with IS NULL or IS NOT NULL", at: token.start)
        default:
            break
        }
        if isReserved(at: index) { throw expectedValue() }
        if tokens[index + 1].isSymbol("(") { throw unknownFunction(word, token) }
        advance()
        if let aliased = aliases[word] { return aliased }
        return .field(try FieldPath(word, at: token.start))
    }

    /// Whether the word at a token is a keyword that cannot name a field.
    private func isReserved(at position: Int) -> Bool {
        guard let word = tokens[position].lowercasedWord else { return false }
        return operatorKeywords.contains(word) || clauseKeyword(at: position) != nil
    }

    private mutating func expectClosing(_ symbol: String, opened: Token) throws(QueryError) {
        guard current.isSymbol(symbol) else {
            throw unexpected(
                expected: "'\(symbol)' to close the '\(opened.isSymbol("(") ? "(" : "[")' at offset \(opened.start)")
        }
        advance()
    }

    // MARK: - Errors

    private func expectedValue() -> QueryError {
        let after = previous.map { " after \($0.display)" } ?? ""
        if let typo = typoError(at: index) { return typo }
        return QueryError.syntax("expected a value\(after), found \(current.display)", at: current.start)
    }

    /// An unexpected token: a misspelt keyword here or just before it gets a suggestion, anything else a plain
    /// syntax error.
    private func unexpected(expected: String) -> QueryError {
        if let typo = typoError(at: index) { return typo }
        if index > 0, let typo = typoError(at: index - 1) { return typo }
        return QueryError.syntax("expected \(expected), found \(current.display)", at: current.start)
    }

    private func typoError(at position: Int) -> QueryError? {
        let token = tokens[position]
        guard case .word(let word) = token.kind, word.allSatisfy(\.isLetter) else { return nil }
        let lowered = word.lowercased()
        if lowered == "order" || lowered == "sort", !tokens[position + 1].isWord("by") {
            return QueryError.syntax("\(lowered.uppercased()) must be followed by BY", at: token.start)
        }
        guard let suggestion = Suggestions.keyword(for: lowered) else { return nil }
        return QueryError(
            .unknownKeyword, "unknown keyword '\(word)'; did you mean \(suggestion.uppercased())?", at: token.start
        )
    }

    private func unknownFunction(_ name: String, _ token: Token) -> QueryError {
        let hint = Suggestions.function(for: name.lowercased()).map { "; did you mean \($0)?" } ?? ""
        return QueryError(
            .unknownFunction,
            "unknown function '\(name)'\(hint) (the functions are len, any, all and sum)",
            at: token.start
        )
    }
}
