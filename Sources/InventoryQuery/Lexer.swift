/// One lexical unit of a query, with its character range in the text.
struct Token: Sendable {
    enum Kind: Equatable, Sendable {
        /// An unquoted word: a keyword or a field path such as `Tags[*].Key`.
        case word(String)
        case number(Double)
        /// A quoted string, or an unquoted date such as `2024-01-01`.
        case string(String)
        /// An operator or punctuation mark.
        case symbol(String)
        case end
    }

    let kind: Kind
    /// Character offset of the first character.
    let start: Int
    /// Character offset just past the last character.
    let end: Int

    /// The word in lower case, if this is a word.
    var lowercasedWord: String? {
        if case .word(let text) = kind { return text.lowercased() }
        return nil
    }

    func isWord(_ lowercased: String) -> Bool { lowercasedWord == lowercased }

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol(symbol) }

    /// How an error message names this token.
    var display: String {
        switch kind {
        case .word(let text): return "'\(text)'"
        case .number: return "number"
        case .string(let text): return "string '\(text)'"
        case .symbol(let symbol): return "'\(symbol)'"
        case .end: return "the end of the query"
        }
    }
}

/// Words that are operators in expressions; a field cannot be named by them, and they never start a bracket group.
let operatorKeywords: Set<String> = [
    "and", "or", "not", "in", "is", "null", "like", "ilike", "between", "true", "false", "len", "any", "all", "sum",
]

/// Splits query text into tokens. Quoted strings become single tokens first, so keywords inside them never count.
struct Lexer {
    private let chars: [Character]
    private var index = 0

    init(_ text: String) {
        chars = Array(text)
    }

    static func tokenize(_ text: String) throws(QueryError) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Character? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    private mutating func next() throws(QueryError) -> Token {
        while let char = peek(), char.isWhitespace { index += 1 }
        let start = index
        guard let char = peek() else { return Token(kind: .end, start: start, end: start) }

        if char.isASCIIDigit {
            if let date = scanDate() {
                guard Timestamp.parse(date) != nil else {
                    throw .syntax(
                        "'\(date)' is not a valid date or time (no such day, or a field out of range)",
                        at: start)
                }
                return Token(kind: .string(date), start: start, end: index)
            }
            return try scanNumber()
        }
        if char == "'" || char == "\"" || char == "`" { return try scanString(quote: char) }
        if char.isLetter || char == "_" { return try scanWord() }

        let two = peek(1).map { String([char, $0]) }
        if let two, ["==", "!=", "<>", "<=", ">=", "~=", "~!"].contains(two) {
            index += 2
            return Token(kind: .symbol(two), start: start, end: index)
        }
        if "=<>+-*/%()[],".contains(char) {
            index += 1
            return Token(kind: .symbol(String(char)), start: start, end: index)
        }
        throw .syntax("unexpected character '\(char)'", at: start)
    }

    /// `YYYY-MM-DD`, optionally followed by an RFC 3339 time; nil (consuming nothing) if the text is not a date.
    private mutating func scanDate() -> String? {
        func digits(_ from: Int, _ count: Int) -> Bool {
            guard from + count <= chars.count else { return false }
            return chars[from..<from + count].allSatisfy(\.isASCIIDigit)
        }
        let start = index
        guard digits(start, 4), peek(4) == "-", digits(start + 5, 2), peek(7) == "-", digits(start + 8, 2) else {
            return nil
        }
        var end = start + 10
        if end < chars.count, chars[end] == "T" || chars[end] == "t" {
            var cursor = end + 1
            if digits(cursor, 2), chars.count > cursor + 2, chars[cursor + 2] == ":", digits(cursor + 3, 2),
                chars.count > cursor + 5, chars[cursor + 5] == ":", digits(cursor + 6, 2)
            {
                cursor += 8
                if cursor < chars.count, chars[cursor] == ".", digits(cursor + 1, 1) {
                    cursor += 1
                    while cursor < chars.count, chars[cursor].isASCIIDigit { cursor += 1 }
                }
                if cursor < chars.count, chars[cursor] == "Z" || chars[cursor] == "z" {
                    end = cursor + 1
                } else if cursor < chars.count, chars[cursor] == "+" || chars[cursor] == "-", digits(cursor + 1, 2),
                    chars.count > cursor + 3, chars[cursor + 3] == ":", digits(cursor + 4, 2)
                {
                    end = cursor + 6
                }
            }
        }
        // A date glued to more word characters (`2024-01-01x`) is not a date.
        if end < chars.count, chars[end].isLetter || chars[end].isASCIIDigit || chars[end] == "_" { return nil }
        index = end
        return String(chars[start..<end])
    }

    private mutating func scanNumber() throws(QueryError) -> Token {
        let start = index
        while let char = peek(), char.isASCIIDigit { index += 1 }
        if peek() == ".", peek(1)?.isASCIIDigit == true {
            index += 1
            while let char = peek(), char.isASCIIDigit { index += 1 }
        }
        if peek() == "e" || peek() == "E" {
            var cursor = 1
            if peek(1) == "+" || peek(1) == "-" { cursor = 2 }
            if peek(cursor)?.isASCIIDigit == true {
                index += cursor
                while let char = peek(), char.isASCIIDigit { index += 1 }
            }
        }
        let digitsEnd = index
        guard var value = Double(String(chars[start..<digitsEnd])) else {
            throw .syntax("invalid number '\(String(chars[start..<digitsEnd]))'", at: start)
        }
        while let char = peek(), char.isLetter || char.isASCIIDigit || char == "_" { index += 1 }
        if index > digitsEnd {
            let suffix = String(chars[digitsEnd..<index])
            guard let multiplier = sizeSuffixes[suffix.lowercased()] else {
                throw .syntax(
                    "invalid number '\(String(chars[start..<index]))': size suffixes are k, M, G, T, P "
                        + "(powers of 1000) and Ki, Mi, Gi, Ti, Pi (powers of 1024)",
                    at: start
                )
            }
            value *= multiplier
        }
        return Token(kind: .number(value), start: start, end: index)
    }

    private mutating func scanString(quote: Character) throws(QueryError) -> Token {
        let start = index
        index += 1
        var text = ""
        while let char = peek() {
            index += 1
            if char == quote { return Token(kind: .string(text), start: start, end: index) }
            if char == "\\", let escaped = peek() {
                index += 1
                switch escaped {
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "\\", "'", "\"", "`": text.append(escaped)
                // Other escapes keep their backslash, so regular expressions like '\d+' read as written.
                default: text.append("\\"); text.append(escaped)
                }
                continue
            }
            text.append(char)
        }
        throw .syntax("unterminated string: the \(quote) here is never closed", at: start)
    }

    /// A keyword or field path: letters, digits, `_`, `.`, bracket groups such as `[*]` or `['a b']`, and `/` in
    /// dotted paths (`metadata.labels.app.kubernetes.io/name`). After `label.`, `-` and `:` join too, since tag keys
    /// such as `cost-center` or `aws:backup` are common and arithmetic on labels is meaningless.
    private mutating func scanWord() throws(QueryError) -> Token {
        let start = index
        var sawDot = false
        var isLabel = false
        while let char = peek() {
            let nextStartsName = peek(1).map { $0.isLetter || $0.isASCIIDigit || $0 == "_" } ?? false
            if char.isLetter || char.isASCIIDigit || char == "_" {
                index += 1
            } else if char == "." {
                if !sawDot {
                    let head = String(chars[start..<index]).lowercased()
                    isLabel = head == "label" || head == "labels"
                }
                sawDot = true
                index += 1
            } else if char == "/", sawDot, peek(1)?.isLetter == true {
                // Without a dot first, `memoryMB/1024` and `a/b` stay divisions.
                index += 1
            } else if char == "-" || char == ":", isLabel, nextStartsName {
                index += 1
            } else if char == "[", !operatorKeywords.contains(String(chars[start..<index]).lowercased()) {
                try skipBracketGroup()
            } else {
                break
            }
        }
        return Token(kind: .word(String(chars[start..<index])), start: start, end: index)
    }

    private mutating func skipBracketGroup() throws(QueryError) {
        let open = index
        index += 1
        var quote: Character?
        while let char = peek() {
            index += 1
            if let current = quote {
                if char == "\\" { index += 1 } else if char == current { quote = nil }
            } else if char == "'" || char == "\"" {
                quote = char
            } else if char == "]" {
                return
            }
        }
        throw .syntax("unclosed '[' in a field path", at: open)
    }
}

/// Size suffixes on numbers: decimal powers of 1000 and binary powers of 1024, any letter case.
private let sizeSuffixes: [String: Double] = [
    "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "p": 1e15,
    "ki": 1024, "mi": 1_048_576, "gi": 1_073_741_824, "ti": 1_099_511_627_776, "pi": 1_125_899_906_842_624,
]

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
