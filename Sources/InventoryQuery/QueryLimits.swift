/// The bounds every query is checked against before the work they bound, so no input, however hostile, can
/// exhaust the stack, the memory or the CPU of the process that evaluates it. Going over one is a
/// `QueryError.Kind.limit` error that names the limit.
public enum QueryLimits {
    /// Longest query text (SELECT, WHERE, ORDER BY and LIMIT together), in bytes of UTF-8.
    public static let maxLength = 16_384
    /// Deepest nesting of parentheses, `[lists]`, NOT and the prefix operators (`-`, `len`, `any`, `all`, `sum`).
    public static let maxNesting = 64
    /// Deepest expression tree, operator chains included (`a or b or c` is three levels deep).
    public static let maxDepth = 256
    /// Most steps in one field path (`a.b[0].c` has four).
    public static let maxPathSteps = 32
    /// Longest time one query may spend evaluating records, in seconds.
    public static let maxEvaluationSeconds = 5.0
}
