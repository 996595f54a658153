/// A set of Unicode scalars for regular expression classes: ranges of code points plus Unicode general
/// categories, optionally inverted as a whole.
struct ScalarSet: Sendable {
    private var ranges: [ClosedRange<UInt32>] = []
    private var categories: [(set: Set<Unicode.GeneralCategory>, negated: Bool)] = []
    private var members: [ScalarSet] = []
    private var negated = false

    init() {}

    private init(_ ranges: [ClosedRange<UInt32>]) {
        self.ranges = ranges
    }

    /// Every scalar.
    static let all = ScalarSet([0...0x10FFFF])
    /// Every scalar but `\n` (what `.` matches without the `s` flag).
    static let allButNewline = ScalarSet([0...9, 11...0x10FFFF])

    /// The same set, complemented.
    var inverted: ScalarSet {
        var copy = self
        copy.negated.toggle()
        return copy
    }

    mutating func add(_ range: ClosedRange<UInt32>) {
        ranges.append(range)
    }

    mutating func add(_ set: ScalarSet) {
        if !set.negated, set.categories.isEmpty, set.members.isEmpty {
            ranges += set.ranges
        } else {
            members.append(set)
        }
    }

    /// Whether the set holds `scalar`; with `fold`, also its other-case forms (before any inversion, as in RE2).
    func contains(_ scalar: Unicode.Scalar, fold: Bool) -> Bool {
        var found = containsExactly(scalar.value, fold: fold)
        if !found, fold {
            found = ScalarSet.caseVariants(of: scalar).contains { containsExactly($0.value, fold: true) }
        }
        return found != negated
    }

    private func containsExactly(_ value: UInt32, fold: Bool) -> Bool {
        for range in ranges where range.contains(value) { return true }
        if !categories.isEmpty, let scalar = Unicode.Scalar(value) {
            let category = scalar.properties.generalCategory
            for entry in categories where entry.set.contains(category) != entry.negated { return true }
        }
        for member in members where member.contains(Unicode.Scalar(value) ?? "\u{FFFD}", fold: fold) { return true }
        return false
    }

    /// The other-case forms of a scalar that are single scalars (`k` gives `K`; `K` gives `k`).
    static func caseVariants(of scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        let properties = scalar.properties
        var variants: [Unicode.Scalar] = []
        for mapping in [properties.lowercaseMapping, properties.uppercaseMapping, properties.titlecaseMapping] {
            let mapped = mapping.unicodeScalars
            if mapped.count == 1, let only = mapped.first, only != scalar, !variants.contains(only) {
                variants.append(only)
            }
        }
        return variants
    }

    // MARK: - Named classes

    private static let digits: [ClosedRange<UInt32>] = [48...57]
    private static let spaces: [ClosedRange<UInt32>] = [9...10, 12...13, 32...32]
    private static let word: [ClosedRange<UInt32>] = [48...57, 65...90, 95...95, 97...122]

    /// `\d \D \s \S \w \W`, which RE2 defines over ASCII.
    static func perl(_ letter: Unicode.Scalar) -> ScalarSet? {
        switch letter {
        case "d": ScalarSet(digits)
        case "D": ScalarSet(digits).inverted
        case "s": ScalarSet(spaces)
        case "S": ScalarSet(spaces).inverted
        case "w": ScalarSet(word)
        case "W": ScalarSet(word).inverted
        default: nil
        }
    }

    /// Whether a scalar is a word character for `\b` (ASCII letters, digits and `_`, as in RE2).
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        word.contains { $0.contains(scalar.value) }
    }

    /// `[:name:]` classes (ASCII, as in RE2).
    static func posix(_ name: String) -> ScalarSet? {
        let ranges: [ClosedRange<UInt32>]? =
            switch name {
            case "alnum": [48...57, 65...90, 97...122]
            case "alpha": [65...90, 97...122]
            case "ascii": [0...127]
            case "blank": [9...9, 32...32]
            case "cntrl": [0...31, 127...127]
            case "digit": digits
            case "graph": [33...126]
            case "lower": [97...122]
            case "print": [32...126]
            case "punct": [33...47, 58...64, 91...96, 123...126]
            case "space": [9...13, 32...32]
            case "upper": [65...90]
            case "word": word
            case "xdigit": [48...57, 65...70, 97...102]
            default: nil
            }
        return ranges.map(ScalarSet.init)
    }

    /// `\p{…}` general categories (one letter for the group, two for one category) and `Any`.
    static func unicode(_ name: String) -> ScalarSet? {
        if name == "Any" { return all }
        let groups: [String: [Unicode.GeneralCategory]] = [
            "L": [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter],
            "M": [.nonspacingMark, .spacingMark, .enclosingMark],
            "N": [.decimalNumber, .letterNumber, .otherNumber],
            "P": [
                .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
                .finalPunctuation, .otherPunctuation,
            ],
            "S": [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol],
            "Z": [.spaceSeparator, .lineSeparator, .paragraphSeparator],
            "C": [.control, .format, .surrogate, .privateUse, .unassigned],
        ]
        let single: [String: Unicode.GeneralCategory] = [
            "Lu": .uppercaseLetter, "Ll": .lowercaseLetter, "Lt": .titlecaseLetter, "Lm": .modifierLetter,
            "Lo": .otherLetter, "Mn": .nonspacingMark, "Mc": .spacingMark, "Me": .enclosingMark,
            "Nd": .decimalNumber, "Nl": .letterNumber, "No": .otherNumber, "Pc": .connectorPunctuation,
            "Pd": .dashPunctuation, "Ps": .openPunctuation, "Pe": .closePunctuation, "Pi": .initialPunctuation,
            "Pf": .finalPunctuation, "Po": .otherPunctuation, "Sm": .mathSymbol, "Sc": .currencySymbol,
            "Sk": .modifierSymbol, "So": .otherSymbol, "Zs": .spaceSeparator, "Zl": .lineSeparator,
            "Zp": .paragraphSeparator, "Cc": .control, "Cf": .format, "Cs": .surrogate, "Co": .privateUse,
        ]
        guard let categories = groups[name] ?? single[name].map({ [$0] }) else { return nil }
        var set = ScalarSet()
        set.categories = [(Set(categories), false)]
        return set
    }
}
