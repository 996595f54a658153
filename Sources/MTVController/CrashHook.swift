import Foundation

/// Fault injection for the restart tests: with `MTV_TEST_CRASH_POINTS` set (a comma list of `phase`, `create`),
/// the process exits abruptly at each such point once; the points already taken are kept, one per line, in the
/// file `MTV_TEST_CRASH_STATE`, so a restarted process goes past them. Off unless both variables are set.
struct CrashHook: Sendable {
    let points: Set<String>
    let stateFile: String?

    /// The hook configured by the environment.
    static let shared = CrashHook(environment: ProcessInfo.processInfo.environment)

    init(environment: [String: String]) {
        points = Set((environment["MTV_TEST_CRASH_POINTS"] ?? "").split(separator: ",").map(String.init))
        stateFile = environment["MTV_TEST_CRASH_STATE"]
    }

    /// Exits the process if `point` is enabled and `key` has not crashed here before.
    func reach(_ point: String, key: String) {
        guard points.contains(point), let stateFile else { return }
        let line = "\(point) \(key)"
        let taken = (try? String(contentsOfFile: stateFile, encoding: .utf8)) ?? ""
        guard !taken.split(separator: "\n").contains(Substring(line)) else { return }
        try? (taken + line + "\n").write(toFile: stateFile, atomically: true, encoding: .utf8)
        FileHandle.standardError.write(Data("test crash point: \(line)\n".utf8))
        _exit(86)
    }
}
