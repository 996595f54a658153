/// The parse tree of a regular expression in RE2 syntax, the dialect of Go's `regexp` (and so of kubectl-mtv's
/// TSL). Captures are parsed and dropped: the language only asks whether a pattern matches.
indirect enum RegexNode: Sendable {
    case empty
    case scalar(Unicode.Scalar, fold: Bool)
    case set(ScalarSet, fold: Bool)
    case assertion(RegexAssertion)
    case concat([RegexNode])
    case alternate([RegexNode])
    /// `max` nil means no upper bound.
    case repeated(RegexNode, min: Int, max: Int?)
}

/// A zero-width test at a position of the text.
enum RegexAssertion: Sendable {
    case beginLine, endLine, beginText, endText, wordBoundary, notWordBoundary
}

/// Why a pattern is not accepted, and where.
struct RegexSyntaxError: Error, Sendable {
    let message: String
    /// Offset of the problem in the pattern, in Unicode scalars.
    let offset: Int
}

/// Parses RE2 syntax: literals and escapes, `.`, classes (`[a-z]`, `[[:alpha:]]`, `\d`, `\pL`), anchors
/// (`^ $ \A \z \b \B`), groups (`(…)`, `(?:…)`, `(?P<name>…)`, `(?<name>…)`), flags (`(?i)`, `(?ims-U:…)`),
/// alternation and repetition (`* + ? {n} {n,} {n,m}`, lazy or not). What RE2 leaves out on purpose —
/// backreferences and lookaround — is refused with a message that says so.
struct RegexParser {
    /// Deepest group nesting accepted; far beyond what people write, well within the stack.
    static let maxNesting = 64
    /// Largest count in `{n,m}`, as in RE2.
    static let maxRepeat = 1000

    private struct Flags {
        var caseInsensitive = false
        var multiLine = false
        var dotAll = false
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0

    /// Parses a whole pattern.
    static func parse(_ pattern: String) throws(RegexSyntaxError) -> RegexNode {
        var parser = RegexParser(scalars: Array(pattern.unicodeScalars))
        var flags = Flags()
        let node = try parser.parseAlternation(&flags, depth: 0)
        if parser.index < parser.scalars.count {
            throw RegexSyntaxError(message: "unexpected ')': no group is open here", offset: parser.index)
        }
        return node
    }

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private var atEnd: Bool { index >= scalars.count }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private func error(_ message: String, at offset: Int? = nil) -> RegexSyntaxError {
        RegexSyntaxError(message: message, offset: offset ?? index)
    }

    // MARK: - Structure

    private mutating func parseAlternation(_ flags: inout Flags, depth: Int) throws(RegexSyntaxError) -> RegexNode {
        var branches = [try parseConcat(&flags, depth: depth)]
        while peek() == "|" {
            index += 1
            branches.append(try parseConcat(&flags, depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func parseConcat(_ flags: inout Flags, depth: Int) throws(RegexSyntaxError) -> RegexNode {
        var items: [RegexNode] = []
        while let char = peek(), char != "|", char != ")" {
            let start = index
            if let quantifier = try parseQuantifier() {
                throw error("missing argument to repetition operator \(quantifier.text)", at: start)
            }
            guard var atom = try parseAtom(&flags, depth: depth) else { continue }
            if let quantifier = try parseQuantifier() {
                atom = .repeated(atom, min: quantifier.min, max: quantifier.max)
                let next = index
                if try parseQuantifier() != nil {
                    throw error("invalid nested repetition operator: repeat the group instead, as in (a+)*", at: next)
                }
            }
            items.append(atom)
        }
        return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
    }

    /// A quantifier at the current position (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each optionally lazy with a
    /// trailing `?`); nil, consuming nothing, when there is none. A `{` that is not a valid count is a literal.
    private mutating func parseQuantifier() throws(RegexSyntaxError) -> (min: Int, max: Int?, text: String)? {
        let start = index
        let bounds: (Int, Int?)
        switch peek() {
        case "*": bounds = (0, nil)
        case "+": bounds = (1, nil)
        case "?": bounds = (0, 1)
        case "{":
            guard let counted = try parseCount() else { return nil }
            bounds = counted
        default: return nil
        }
        index += 1
        if peek() == "?" { index += 1 }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        return (bounds.0, bounds.1, text)
    }

    /// `{n}`, `{n,}` or `{n,m}` from the current `{`; leaves the index on the closing `}`. Nil when the text is
    /// not a count (Go reads such a `{` literally).
    private mutating func parseCount() throws(RegexSyntaxError) -> (Int, Int?)? {
        var cursor = index + 1
        func number() -> Int? {
            let start = cursor
            var value = 0
            while cursor < scalars.count, ("0"..."9").contains(scalars[cursor]) {
                value = min(value * 10 + Int(scalars[cursor].value - 48), 100_000)
                cursor += 1
            }
            return cursor > start ? value : nil
        }
        guard let low = number() else { return nil }
        var high: Int? = low
        if cursor < scalars.count, scalars[cursor] == "," {
            cursor += 1
            high = number()
            if high == nil, cursor < scalars.count, scalars[cursor] != "}" { return nil }
        }
        guard cursor < scalars.count, scalars[cursor] == "}" else { return nil }
        if low > Self.maxRepeat || (high ?? 0) > Self.maxRepeat {
            throw error("invalid repeat count: counts above \(Self.maxRepeat) are not allowed")
        }
        if let high, high < low { throw error("invalid repeat count: {\(low),\(high)} has its bounds reversed") }
        index = cursor
        return (low, high)
    }

    /// One atom; nil for a group that only sets flags, such as `(?i)`.
    private mutating func parseAtom(_ flags: inout Flags, depth: Int) throws(RegexSyntaxError) -> RegexNode? {
        let start = index
        let char = scalars[index]
        index += 1
        switch char {
        case "(":
            return try parseGroup(&flags, depth: depth, opened: start)
        case "[":
            return .set(try parseClass(opened: start), fold: flags.caseInsensitive)
        case ".":
            return .set(flags.dotAll ? .all : .allButNewline, fold: false)
        case "^":
            return .assertion(flags.multiLine ? .beginLine : .beginText)
        case "$":
            return .assertion(flags.multiLine ? .endLine : .endText)
        case "\\":
            return try parseEscape(flags)
        default:
            return .scalar(char, fold: flags.caseInsensitive)
        }
    }

    private mutating func parseGroup(
        _ flags: inout Flags, depth: Int, opened: Int
    ) throws(RegexSyntaxError)
        -> RegexNode?
    {
        guard depth < Self.maxNesting else {
            throw error("groups nest deeper than \(Self.maxNesting) levels", at: opened)
        }
        var inner = flags
        if peek() == "?" {
            index += 1
            switch (peek(), peek(1)) {
            case ("P", "<"),
                ("<", _) where peek(1) != "=" && peek(1) != "!":
                index += peek() == "P" ? 2 : 1
                let nameStart = index
                while let char = peek(), char.isASCII,
                    char.properties.isAlphabetic || char == "_"
                        || ("0"..."9").contains(char)
                {
                    index += 1
                }
                guard index > nameStart, peek() == ">" else {
                    throw error(
                        "invalid named capture: a group name is letters, digits and _, closed by '>'",
                        at: opened)
                }
                index += 1
            case ("P", "="), ("P", ">"):
                throw error("backreferences are not supported: RE2 syntax (Go's regexp) has none", at: opened)
            case ("=", _), ("!", _), ("<", "="), ("<", "!"):
                throw error(
                    "lookahead and lookbehind are not supported: RE2 syntax (Go's regexp) has none",
                    at: opened)
            case (":", _):
                index += 1
            default:
                if try parseFlags(&inner, opened: opened) {
                    flags = inner  // `(?i)`: the flags hold to the end of the enclosing group
                    return nil
                }
            }
        }
        let node = try parseAlternation(&inner, depth: depth + 1)
        guard peek() == ")" else { throw error("missing closing ')' for the group opened here", at: opened) }
        index += 1
        return node
    }

    /// Flags after `(?`: returns true for `(?flags)`, false for `(?flags:` (a group follows).
    private mutating func parseFlags(_ flags: inout Flags, opened: Int) throws(RegexSyntaxError) -> Bool {
        var negate = false
        var sawFlag = false
        while let char = peek() {
            index += 1
            switch char {
            case "i": flags.caseInsensitive = !negate
            case "m": flags.multiLine = !negate
            case "s": flags.dotAll = !negate
            case "U": break  // ungreedy: the same answer to "does it match"
            case "-" where !negate:
                negate = true
                sawFlag = false
                continue
            case ")", ":":
                guard sawFlag || !negate else { break }
                return char == ")"
            default:
                break
            }
            guard "imsU".unicodeScalars.contains(char) else { break }
            sawFlag = true
        }
        throw error("invalid or unsupported group syntax '(?…': flags are i, m, s and U", at: opened)
    }

    // MARK: - Escapes

    private mutating func parseEscape(_ flags: Flags) throws(RegexSyntaxError) -> RegexNode {
        let start = index - 1
        guard let char = peek() else { throw error("trailing backslash at the end of the pattern", at: start) }
        switch char {
        case "A", "z", "b", "B":
            index += 1
            let assertions: [Unicode.Scalar: RegexAssertion] = [
                "A": .beginText, "z": .endText, "b": .wordBoundary, "B": .notWordBoundary,
            ]
            return .assertion(assertions[char]!)
        case "Q":
            index += 1
            var literal: [RegexNode] = []
            while let next = peek() {
                if next == "\\", peek(1) == "E" {
                    index += 2
                    break
                }
                literal.append(.scalar(next, fold: flags.caseInsensitive))
                index += 1
            }
            return literal.isEmpty ? .empty : .concat(literal)
        case "E":
            index += 1
            return .empty  // a \E with no \Q before it
        default:
            if let set = try parsePerlOrUnicodeClass() { return .set(set, fold: flags.caseInsensitive) }
            return .scalar(try parseEscapedScalar(start: start), fold: flags.caseInsensitive)
        }
    }

    /// `\d \D \s \S \w \W \pX \p{Name} \PX \P{Name}` at the current position (after the backslash).
    private mutating func parsePerlOrUnicodeClass() throws(RegexSyntaxError) -> ScalarSet? {
        guard let char = peek() else { return nil }
        if let perl = ScalarSet.perl(char) {
            index += 1
            return perl
        }
        guard char == "p" || char == "P" else { return nil }
        let start = index - 1
        index += 1
        var name = ""
        if peek() == "{" {
            index += 1
            while let next = peek(), next != "}" {
                name.unicodeScalars.append(next)
                index += 1
            }
            guard peek() == "}" else { throw error("missing '}' after \\\(char){", at: start) }
            index += 1
        } else if let next = peek() {
            name = String(next)
            index += 1
        }
        var negated = char == "P"
        if name.hasPrefix("^") {
            name.removeFirst()
            negated.toggle()
        }
        guard let set = ScalarSet.unicode(name) else {
            throw error(
                "unknown or unsupported Unicode class \\\(char){\(name)}: use a general category such as "
                    + "L, Lu, N, P or S (script names are not supported)", at: start)
        }
        return negated ? set.inverted : set
    }

    /// One scalar written as an escape (after the backslash): `\n`, `\x41`, `\x{263a}`, `\123`, `\.` …
    private mutating func parseEscapedScalar(start: Int) throws(RegexSyntaxError) -> Unicode.Scalar {
        let char = scalars[index]
        index += 1
        switch char {
        case "a": return "\u{07}"
        case "f": return "\u{0C}"
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "v": return "\u{0B}"
        case "x":
            var digits = ""
            if peek() == "{" {
                index += 1
                while let next = peek(), next != "}" {
                    digits.unicodeScalars.append(next)
                    index += 1
                }
                guard peek() == "}" else { throw error("missing '}' in \\x{…}", at: start) }
                index += 1
            } else {
                for _ in 0..<2 {
                    guard let next = peek() else { break }
                    digits.unicodeScalars.append(next)
                    index += 1
                }
            }
            guard !digits.isEmpty, digits.count <= 8, let value = UInt32(digits, radix: 16),
                let scalar = Unicode.Scalar(value), digits.count == 2 || scalars[start + 2] == "{"
            else { throw error("invalid hexadecimal escape \\x\(digits)", at: start) }
            return scalar
        case "0"..."7":
            // A single non-zero digit is a backreference in other dialects; RE2 has none.
            if char != "0", !(peek().map { ("0"..."7").contains($0) } ?? false) {
                throw error(
                    "backreferences such as \\\(char) are not supported: RE2 syntax (Go's regexp) has none",
                    at: start)
            }
            var value = char.value - 48
            for _ in 0..<2 {
                guard let next = peek(), ("0"..."7").contains(next) else { break }
                value = value * 8 + next.value - 48
                index += 1
            }
            return Unicode.Scalar(value)!
        case "8", "9":
            throw error(
                "backreferences such as \\\(char) are not supported: RE2 syntax (Go's regexp) has none",
                at: start)
        default:
            guard char.isASCII, !char.properties.isAlphabetic, !("0"..."9").contains(char) else {
                throw error("invalid escape sequence \\\(char)", at: start)
            }
            return char
        }
    }

    // MARK: - Classes

    /// A bracket class after its `[`: `[abc]`, `[^a-z]`, `[[:alpha:]\d_]`, with `]` literal when it comes first.
    private mutating func parseClass(opened: Int) throws(RegexSyntaxError) -> ScalarSet {
        var set = ScalarSet()
        let negated = peek() == "^"
        if negated { index += 1 }
        var first = true
        while true {
            guard let char = peek() else { throw error("missing closing ']' for the class opened here", at: opened) }
            if char == "]", !first { break }
            first = false
            if char == "[", peek(1) == ":", let posix = try parsePOSIXClass() {
                set.add(posix)
                continue
            }
            let low = try parseClassScalar()
            switch low {
            case .set(let inner):
                set.add(inner)
            case .scalar(let lowScalar):
                if peek() == "-", let after = peek(1), after != "]" {
                    let rangeStart = index - 1
                    index += 1
                    guard case .scalar(let highScalar) = try parseClassScalar() else {
                        throw error("invalid character class range: a class cannot end a range", at: rangeStart)
                    }
                    guard lowScalar <= highScalar else {
                        throw error(
                            "invalid character class range \(lowScalar)-\(highScalar): the bounds are reversed",
                            at: rangeStart)
                    }
                    set.add(lowScalar.value...highScalar.value)
                } else {
                    set.add(lowScalar.value...lowScalar.value)
                }
            }
        }
        index += 1
        return negated ? set.inverted : set
    }

    private enum ClassItem {
        case scalar(Unicode.Scalar)
        case set(ScalarSet)
    }

    private mutating func parseClassScalar() throws(RegexSyntaxError) -> ClassItem {
        let char = scalars[index]
        index += 1
        guard char == "\\" else { return .scalar(char) }
        let start = index - 1
        guard peek() != nil else { throw error("trailing backslash at the end of the pattern", at: start) }
        if let set = try parsePerlOrUnicodeClass() { return .set(set) }
        return .scalar(try parseEscapedScalar(start: start))
    }

    /// `[:alpha:]` or `[:^alpha:]` inside a bracket class; nil, consuming nothing, when no `:]` closes it (Go
    /// then reads the `[` as a literal).
    private mutating func parsePOSIXClass() throws(RegexSyntaxError) -> ScalarSet? {
        var cursor = index + 2
        var name = ""
        while cursor + 1 < scalars.count, !(scalars[cursor] == ":" && scalars[cursor + 1] == "]") {
            name.unicodeScalars.append(scalars[cursor])
            cursor += 1
        }
        guard cursor + 1 < scalars.count else { return nil }
        let negated = name.hasPrefix("^")
        guard let set = ScalarSet.posix(negated ? String(name.dropFirst()) : name) else {
            throw error("unknown POSIX class [:\(name):]")
        }
        index = cursor + 2
        return negated ? set.inverted : set
    }
}
