/// A compiled SQL `LIKE` pattern: `%` matches any run of characters, `_` exactly one; `\%`, `\_` and `\\` are
/// literal. The match is anchored at both ends.
struct LikePattern: Sendable, Hashable {
    private enum Element: Hashable {
        case scalar(Unicode.Scalar)
        case one
        case many
    }

    private let elements: [Element]
    let caseInsensitive: Bool
    /// The pattern as written.
    let source: String

    init(_ source: String, caseInsensitive: Bool) {
        self.source = source
        self.caseInsensitive = caseInsensitive
        var elements: [Element] = []
        var escaping = false
        for scalar in (caseInsensitive ? source.lowercased() : source).unicodeScalars {
            if escaping {
                elements.append(.scalar(scalar))
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else if scalar == "%" {
                if elements.last != .many { elements.append(.many) }
            } else if scalar == "_" {
                elements.append(.one)
            } else {
                elements.append(.scalar(scalar))
            }
        }
        if escaping { elements.append(.scalar("\\")) }
        self.elements = elements
    }

    func matches(_ text: String) -> Bool {
        let scalars = Array((caseInsensitive ? text.lowercased() : text).unicodeScalars)
        // Greedy matching that backtracks only to the most recent `%`, which is enough for wildcard patterns.
        var textIndex = 0
        var patternIndex = 0
        var starPattern = -1
        var starText = 0
        while textIndex < scalars.count {
            if patternIndex < elements.count {
                switch elements[patternIndex] {
                case .many:
                    starPattern = patternIndex
                    starText = textIndex
                    patternIndex += 1
                    continue
                case .one:
                    textIndex += 1
                    patternIndex += 1
                    continue
                case .scalar(let expected) where expected == scalars[textIndex]:
                    textIndex += 1
                    patternIndex += 1
                    continue
                case .scalar:
                    break
                }
            }
            guard starPattern >= 0 else { return false }
            patternIndex = starPattern + 1
            starText += 1
            textIndex = starText
        }
        while patternIndex < elements.count, elements[patternIndex] == .many { patternIndex += 1 }
        return patternIndex == elements.count
    }
}

/// A regular expression (RE2 syntax, as Go's `regexp` and TSL) compiled once when the query is parsed; matching
/// searches anywhere in the text, in time linear in its length.
struct RegexPattern: Sendable, Hashable {
    private let regex: LinearRegex
    /// The pattern as written.
    let source: String

    /// Compiles the pattern; the error text explains why it is not accepted.
    init(_ source: String) throws(RegexCompileError) {
        do {
            regex = try LinearRegex(source)
        } catch {
            throw RegexCompileError(reason: error.message, offset: error.offset)
        }
        self.source = source
    }

    func matches(_ text: String) -> Bool {
        regex.matches(text)
    }

    static func == (lhs: RegexPattern, rhs: RegexPattern) -> Bool { lhs.source == rhs.source }
    func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

struct RegexCompileError: Error {
    let reason: String
    /// Where in the pattern, in Unicode scalars.
    let offset: Int
}
