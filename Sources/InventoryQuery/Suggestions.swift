/// "Did you mean …?" for misspelt keywords and function names.
enum Suggestions {
    /// Keywords in the order ties are resolved: clause keywords first, as those are what people misspell most.
    private static let keywords = [
        "select", "where", "order", "sort", "limit", "and", "or", "not", "like", "ilike", "between", "null",
        "true", "false", "in", "is", "asc", "desc",
    ]

    private static let functions = ["len", "any", "all", "sum"]

    /// The keyword a word is probably a misspelling of; nil for real keywords and words too far from any.
    static func keyword(for word: String) -> String? {
        closest(to: word, among: keywords)
    }

    /// The function a name is probably a misspelling of.
    static func function(for name: String) -> String? {
        closest(to: name, among: functions)
    }

    private static func closest(to word: String, among candidates: [String]) -> String? {
        guard word.count >= 3, !candidates.contains(word) else { return nil }
        // Short words tolerate one edit, longer ones two; anything further is more likely a field name.
        let allowed = word.count <= 4 ? 1 : 2
        var best: (word: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(word, candidate)
            if distance <= allowed, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.word
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
