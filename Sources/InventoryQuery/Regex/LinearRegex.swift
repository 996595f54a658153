/// A regular expression in RE2 syntax compiled to a Thompson NFA and run as a breadth-first simulation, so a
/// match costs time linear in the text (times the program's size) whatever the pattern: no input can make it
/// backtrack. Matching answers whether the pattern occurs anywhere in the text, as Go's `MatchString` does.
struct LinearRegex: Sendable {
    /// Most instructions a compiled pattern may have (`(a{1000}){1000}` would need a million).
    static let maxProgramSize = 20_000

    private enum Instruction: Sendable {
        case scalar(Unicode.Scalar, variants: [Unicode.Scalar])
        case set(ScalarSet, fold: Bool)
        case split(Int, Int)
        case jump(Int)
        case assert(RegexAssertion)
        case match
    }

    private let program: [Instruction]
    /// Whether every match must start at the beginning of the text (`^…` or `\A…` without the `m` flag).
    private let anchoredAtStart: Bool

    /// Parses and compiles a pattern; the error says why it is not accepted.
    init(_ pattern: String) throws(RegexSyntaxError) {
        let tree = try RegexParser.parse(pattern)
        guard let size = Self.size(of: tree), size < Self.maxProgramSize else {
            throw RegexSyntaxError(
                message: "the pattern is too large once its repetitions are expanded (more than "
                    + "\(Self.maxProgramSize) steps); use smaller counts in {n,m}",
                offset: 0)
        }
        var compiler = Compiler()
        compiler.emit(tree)
        compiler.program.append(.match)
        program = compiler.program
        anchoredAtStart = Self.startsWithTextAnchor(tree)
    }

    // MARK: - Matching

    /// Whether the pattern matches somewhere in `text`.
    func matches(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        var current = ThreadList(capacity: program.count)
        var next = ThreadList(capacity: program.count)
        var stack: [Int] = []
        for position in 0...scalars.count {
            if position == 0 || !anchoredAtStart {
                if addThread(0, at: position, in: scalars, to: &current, stack: &stack) { return true }
            }
            guard position < scalars.count, !(anchoredAtStart && current.isEmpty) else { return false }
            let scalar = scalars[position]
            next.clear()
            for pc in current.threads {
                let consumes: Bool
                switch program[pc] {
                case .scalar(let expected, let variants): consumes = scalar == expected || variants.contains(scalar)
                case .set(let set, let fold): consumes = set.contains(scalar, fold: fold)
                default: consumes = false
                }
                if consumes, addThread(pc + 1, at: position + 1, in: scalars, to: &next, stack: &stack) { return true }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds `pc` and every instruction reachable from it without consuming text; true when that reaches `match`.
    private func addThread(
        _ pc: Int, at position: Int, in scalars: [Unicode.Scalar], to list: inout ThreadList, stack: inout [Int]
    ) -> Bool {
        stack.append(pc)
        while let pc = stack.popLast() {
            guard list.insert(pc) else { continue }
            switch program[pc] {
            case .match:
                return true
            case .jump(let target):
                stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .assert(let assertion):
                if Self.holds(assertion, at: position, in: scalars) { stack.append(pc + 1) }
            case .scalar, .set:
                list.keep(pc)
            }
        }
        return false
    }

    private static func holds(_ assertion: RegexAssertion, at position: Int, in scalars: [Unicode.Scalar]) -> Bool {
        let before = position > 0 ? scalars[position - 1] : nil
        let after = position < scalars.count ? scalars[position] : nil
        switch assertion {
        case .beginText: return before == nil
        case .endText: return after == nil
        case .beginLine: return before == nil || before == "\n"
        case .endLine: return after == nil || after == "\n"
        case .wordBoundary, .notWordBoundary:
            let boundary =
                (before.map(ScalarSet.isWordCharacter) ?? false) != (after.map(ScalarSet.isWordCharacter) ?? false)
            return boundary == (assertion == .wordBoundary)
        }
    }

    /// The threads of one step: a sparse set of program counters, cleared in constant time.
    private struct ThreadList {
        private var generation: [Int]
        private var current = 1
        /// The consuming instructions reached, in the order they were reached.
        private(set) var threads: [Int] = []

        init(capacity: Int) {
            generation = Array(repeating: 0, count: capacity)
        }

        var isEmpty: Bool { threads.isEmpty }

        /// Marks `pc` visited in this step; false when it already was.
        mutating func insert(_ pc: Int) -> Bool {
            guard generation[pc] != current else { return false }
            generation[pc] = current
            return true
        }

        mutating func keep(_ pc: Int) {
            threads.append(pc)
        }

        mutating func clear() {
            current += 1
            threads.removeAll(keepingCapacity: true)
        }
    }

    // MARK: - Compiling

    private struct Compiler {
        var program: [Instruction] = []

        mutating func emit(_ node: RegexNode) {
            switch node {
            case .empty:
                break
            case .scalar(let scalar, let fold):
                program.append(.scalar(scalar, variants: fold ? ScalarSet.caseVariants(of: scalar) : []))
            case .set(let set, let fold):
                program.append(.set(set, fold: fold))
            case .assertion(let assertion):
                program.append(.assert(assertion))
            case .concat(let items):
                for item in items { emit(item) }
            case .alternate(let branches):
                // split L1, next; L1: first; jump end; next: split L2, … ; last branch falls through.
                var jumps: [Int] = []
                for (offset, branch) in branches.enumerated() {
                    if offset < branches.count - 1 {
                        let split = program.count
                        program.append(.split(split + 1, 0))
                        emit(branch)
                        jumps.append(program.count)
                        program.append(.jump(0))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        emit(branch)
                    }
                }
                for jump in jumps { program[jump] = .jump(program.count) }
            case .repeated(let item, let min, let max):
                for _ in 0..<min { emit(item) }
                if let max {
                    // Optional copies, each nested in the one before: (x(x(x)?)?)?
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        program.append(.split(program.count + 1, 0))
                        emit(item)
                    }
                    for split in splits { program[split] = .split(split + 1, program.count) }
                } else {
                    // loop: split body, end; body; jump loop
                    let loop = program.count
                    program.append(.split(loop + 1, 0))
                    emit(item)
                    program.append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }

    /// The instructions a tree compiles to; nil when the count would overflow.
    private static func size(of node: RegexNode) -> Int? {
        switch node {
        case .empty: return 0
        case .scalar, .set, .assertion: return 1
        case .concat(let items):
            var total = 0
            for item in items {
                guard let size = size(of: item) else { return nil }
                total += size
                if total > maxProgramSize { return nil }
            }
            return total
        case .alternate(let branches):
            var total = 0
            for branch in branches {
                guard let size = size(of: branch) else { return nil }
                total += size + 2
                if total > maxProgramSize { return nil }
            }
            return total
        case .repeated(let item, let min, let max):
            guard let inner = size(of: item) else { return nil }
            let copies = max ?? (min + 1)
            let (total, overflow) = (inner + 2).multipliedReportingOverflow(by: copies)
            return overflow || total > maxProgramSize ? nil : total
        }
    }

    private static func startsWithTextAnchor(_ node: RegexNode) -> Bool {
        switch node {
        case .assertion(.beginText): return true
        case .concat(let items): return items.first.map(startsWithTextAnchor) ?? false
        default: return false
        }
    }
}
