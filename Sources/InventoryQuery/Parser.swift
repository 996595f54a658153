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

    let tokens: [Token]
    let chars: [Character]
    let text: String
    var index = 0
    /// SELECT aliases, usable by name in WHERE and ORDER BY, with their tree depths.
    var aliases: [String: (node: Node, depth: Int)] = [:]
    /// How deep the parser is in parentheses, lists, NOT and prefix operators (see `QueryLimits.maxNesting`).
    var nesting = 0
    /// The tree depth of the node the last parse function returned (see `QueryLimits.maxDepth`).
    var lastDepth = 0

    init(_ text: String) throws(QueryError) {
        let length = text.utf8.count
        guard length <= QueryLimits.maxLength else {
            throw QueryError(
                .limit,
                "the query is \(length) bytes long; the limit is \(QueryLimits.maxLength) bytes", at: nil)
        }
        self.text = text
        chars = Array(text)
        tokens = try Lexer.tokenize(text)
    }

    // MARK: - Token access

    var current: Token { tokens[index] }

    var previous: Token? { index > 0 ? tokens[index - 1] : nil }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    /// The clause keyword starting at a token (`where`, `order by`, …): the clause, its display name and how many
    /// tokens it takes. Only unquoted words count, so `'order by x'` in a string is never a keyword.
    func clauseKeyword(at position: Int) -> (clause: Clause, name: String, length: Int)? {
        switch tokens[position].lowercasedWord {
        case "select": return (.select, "SELECT", 1)
        case "where": return (.where, "WHERE", 1)
        case "limit": return (.limit, "LIMIT", 1)
        case let word? where (word == "order" || word == "sort") && tokens[position + 1].isWord("by"):
            return (.orderBy, word == "order" ? "ORDER BY" : "SORT BY", 2)
        default: return nil
        }
    }

    var atClauseEnd: Bool { current.kind == .end || clauseKeyword(at: index) != nil }

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
                let (items, depths) = try parseSelectList()
                query.select = items
                for (item, depth) in zip(items, depths) {
                    if let alias = item.alias { aliases[alias] = (item.expression.node, depth) }
                }
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

    /// The SELECT columns and the tree depth of each one's expression.
    private mutating func parseSelectList() throws(QueryError) -> ([SelectItem], [Int]) {
        var items: [SelectItem] = []
        var depths: [Int] = []
        while true {
            let expression = try parseExpression()
            depths.append(lastDepth)
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
            guard current.isSymbol(",") else { return (items, depths) }
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

    mutating func parseWord(_ word: String, _ token: Token) throws(QueryError) -> Node {
        let lowered = word.lowercased()
        switch lowered {
        case "true", "false":
            advance()
            return leaf(.literal(.bool(lowered == "true")))
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
        if let aliased = aliases[word] {
            lastDepth = aliased.depth
            return aliased.node
        }
        return leaf(.field(try FieldPath(word, at: token.start)))
    }

    /// Whether the word at a token is a keyword that cannot name a field.
    func isReserved(at position: Int) -> Bool {
        guard let word = tokens[position].lowercasedWord else { return false }
        return operatorKeywords.contains(word) || clauseKeyword(at: position) != nil
    }

    mutating func expectClosing(_ symbol: String, opened: Token) throws(QueryError) {
        guard current.isSymbol(symbol) else {
            throw unexpected(
                expected: "'\(symbol)' to close the '\(opened.isSymbol("(") ? "(" : "[")' at offset \(opened.start)")
        }
        advance()
    }

    // MARK: - Errors

    func expectedValue() -> QueryError {
        let after = previous.map { " after \($0.display)" } ?? ""
        if let typo = typoError(at: index) { return typo }
        return QueryError.syntax("expected a value\(after), found \(current.display)", at: current.start)
    }

    /// An unexpected token: a misspelt keyword here or just before it gets a suggestion, anything else a plain
    /// syntax error.
    func unexpected(expected: String) -> QueryError {
        if let typo = typoError(at: index) { return typo }
        if index > 0, let typo = typoError(at: index - 1) { return typo }
        return QueryError.syntax("expected \(expected), found \(current.display)", at: current.start)
    }

    func typoError(at position: Int) -> QueryError? {
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

    func unknownFunction(_ name: String, _ token: Token) -> QueryError {
        let hint = Suggestions.function(for: name.lowercased()).map { "; did you mean \($0)?" } ?? ""
        return QueryError(
            .unknownFunction,
            "unknown function '\(name)'\(hint) (the functions are len, any, all and sum)",
            at: token.start
        )
    }
}
