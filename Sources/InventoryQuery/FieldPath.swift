import MTVAPI

/// A path into a record: `Placement.AvailabilityZone`, `BlockDeviceMappings[0].DeviceName`, `Tags[*].Key`,
/// `labels['kubernetes.io/name']` or `label.Environment`.
///
/// A key step on an array maps over its elements (`disks.capacity` equals `disks[*].capacity`); wildcards flatten
/// nested arrays; a missing key or an index out of range gives nil, never an error.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
        case wildcard
    }

    let steps: [Step]
    /// For `label.X` / `labels.X`: everything after the prefix as one key, since label keys may contain dots.
    let labelKey: String?
    /// The path as written.
    public let description: String

    /// Parses a path; a leading `.` and a `{{ … }}` wrapper are accepted and ignored.
    public init(_ text: String) throws(QueryError) {
        try self.init(text, at: 0)
    }

    init(_ text: String, at offset: Int) throws(QueryError) {
        var body = Substring(text).trimmingSpaces
        var bodyOffset = offset + text.distance(from: text.startIndex, to: body.startIndex)
        if body.hasPrefix("{{"), body.hasSuffix("}}"), body.count >= 4 {
            let inner = body.dropFirst(2).dropLast(2)
            let trimmed = inner.trimmingSpaces
            bodyOffset += 2 + inner.distance(from: inner.startIndex, to: trimmed.startIndex)
            body = trimmed
        }
        if body.hasPrefix(".") {
            body = body.dropFirst()
            bodyOffset += 1
        }
        description = text
        steps = try Self.parseSteps(Array(body), offset: bodyOffset, text: text)
        labelKey = Self.labelKey(of: steps, body: body)
    }

    private static func parseSteps(_ chars: [Character], offset: Int, text: String) throws(QueryError) -> [Step] {
        func fail(_ message: String, _ at: Int) -> QueryError {
            QueryError(.invalidPath, "invalid field path '\(text)': \(message)", at: offset + at)
        }
        guard !chars.isEmpty else { throw fail("it is empty", 0) }
        var steps: [Step] = []
        var index = 0
        var expectKey = true  // at the start and after a '.'
        while index < chars.count {
            guard steps.count < QueryLimits.maxPathSteps else {
                throw QueryError(
                    .limit,
                    "invalid field path '\(text)': it has more than \(QueryLimits.maxPathSteps) steps",
                    at: offset + index)
            }
            let char = chars[index]
            if char == "[" {
                let open = index
                guard let close = closingBracket(chars, from: index) else { throw fail("unclosed '['", open) }
                let inner = String(chars[(index + 1)..<close]).trimmingSpaces
                if inner == "*" {
                    steps.append(.wildcard)
                } else if let number = Int(inner) {
                    steps.append(.index(number))
                } else if let quoted = unquote(String(inner)) {
                    steps.append(.key(quoted))
                } else if inner.isEmpty {
                    throw fail("empty '[]'", open)
                } else {
                    steps.append(.key(String(inner)))
                }
                index = close + 1
                expectKey = false
                if index < chars.count, chars[index] != ".", chars[index] != "[" {
                    throw fail("expected '.' or '[' after ']'", index)
                }
            } else if char == "." {
                guard !expectKey else { throw fail("a '.' with no field name before it", index) }
                expectKey = true
                index += 1
                guard index < chars.count, chars[index] != "." else {
                    throw fail("a '.' with no field name after it", index)
                }
            } else {
                let start = index
                while index < chars.count, chars[index] != ".", chars[index] != "[" { index += 1 }
                guard expectKey || steps.isEmpty else { throw fail("expected '.' before a field name", start) }
                steps.append(.key(String(chars[start..<index])))
                expectKey = false
            }
        }
        return steps
    }

    private static func closingBracket(_ chars: [Character], from open: Int) -> Int? {
        var quote: Character?
        var index = open + 1
        while index < chars.count {
            let char = chars[index]
            if let current = quote {
                if char == "\\" { index += 1 } else if char == current { quote = nil }
            } else if char == "'" || char == "\"" {
                quote = char
            } else if char == "]" {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func unquote(_ text: String) -> String? {
        guard text.count >= 2, let first = text.first, first == "'" || first == "\"", text.last == first else {
            return nil
        }
        var result = ""
        var escaping = false
        for char in text.dropFirst().dropLast() {
            if escaping {
                result.append(char)
                escaping = false
            } else if char == "\\" {
                escaping = true
            } else {
                result.append(char)
            }
        }
        return result
    }

    private static func labelKey(of steps: [Step], body: Substring) -> String? {
        guard steps.count >= 2, case .key(let first) = steps[0], first == "label" || first == "labels" else {
            return nil
        }
        if steps.count == 2, case .key(let key) = steps[1] { return key }
        // `label.kubernetes.io/role`: the rest as written, provided it is plain dotted words.
        let rest = body.dropFirst(first.count + 1)
        guard !rest.contains("["), steps.dropFirst().allSatisfy({ if case .key = $0 { true } else { false } }) else {
            return nil
        }
        return String(rest)
    }

    /// The value at this path in a record; nil if any step is missing.
    public func resolve(in record: JSONValue) -> JSONValue? {
        lookup(in: record).value
    }

    /// The value at this path, and whether the path mapped over a list to get it (a wildcard, or a key step on
    /// a list), in which case the value is the list of what each element gave.
    func lookup(in record: JSONValue) -> (value: JSONValue?, mapped: Bool) {
        if case .key(let first) = steps[0], first == "label" || first == "labels",
            case .object(let fields) = record, first == "labels" || fields["label"] == nil
        {
            guard let labels = fields["labels"] ?? Self.labels(fromTags: fields["Tags"]) else { return (nil, false) }
            if let labelKey, let value = labels[labelKey] { return (value, false) }
            return Self.collapse(Self.walk(labels, steps, from: 1))
        }
        return Self.collapse(Self.walk(record, steps, from: 0))
    }

    /// EC2 `Tags` (`[{Key, Value}]`) as a label map, for records that carry tags but no `labels`.
    private static func labels(fromTags tags: JSONValue?) -> JSONValue? {
        guard case .array(let elements) = tags else { return nil }
        var labels: [String: JSONValue] = [:]
        for case .object(let tag) in elements {
            if case .string(let key) = tag["Key"] { labels[key] = tag["Value"] ?? .null }
        }
        return .object(labels)
    }

    private enum Walk {
        case one(JSONValue?)
        case many([JSONValue])
    }

    private static func collapse(_ walk: Walk) -> (value: JSONValue?, mapped: Bool) {
        switch walk {
        case .one(let value): return (value, false)
        case .many(let values): return (.array(values), true)
        }
    }

    private static func walk(_ value: JSONValue, _ steps: [Step], from index: Int) -> Walk {
        guard index < steps.count else { return .one(value) }
        switch (steps[index], value) {
        case (.key(let key), .object(let fields)):
            guard let child = fields[key] else { return .one(nil) }
            return walk(child, steps, from: index + 1)
        case (.key, .array(let elements)):
            // Implicit wildcard: a key step on an array applies to every element.
            return .many(gather(elements, steps, from: index))
        case (.index(let position), .array(let elements)):
            let resolved = position < 0 ? elements.count + position : position
            guard elements.indices.contains(resolved) else { return .one(nil) }
            return walk(elements[resolved], steps, from: index + 1)
        case (.index(let position), .object(let fields)):
            guard let child = fields[String(position)] else { return .one(nil) }
            return walk(child, steps, from: index + 1)
        case (.wildcard, .array(let elements)):
            return .many(gather(elements, steps, from: index + 1))
        case (.wildcard, .object(let fields)):
            let values = fields.keys.sorted().map { fields[$0]! }
            return .many(gather(values, steps, from: index + 1))
        default:
            return .one(nil)
        }
    }

    /// Walks the rest of the path from each element; nested wildcards and lists reached through one flatten
    /// (`NetworkInterfaces[*].SecurityGroupIds` lists every group), and missing values stay as null so parallel
    /// paths (`Tags[*].Key`, `Tags[*].Value`) keep their alignment.
    private static func gather(_ elements: [JSONValue], _ steps: [Step], from index: Int) -> [JSONValue] {
        var values: [JSONValue] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            switch walk(element, steps, from: index) {
            case .one(.array(let nested)): values.append(contentsOf: nested)
            case .one(let value): values.append(value ?? .null)
            case .many(let nested): values.append(contentsOf: nested)
            }
        }
        return values
    }
}

/// The value at a field path in a record, as the query language reads it; nil if missing or the path is invalid.
public func value(at path: String, in record: JSONValue) -> JSONValue? {
    guard let fieldPath = try? FieldPath(path) else { return nil }
    return fieldPath.resolve(in: record)
}

extension StringProtocol {
    var trimmingSpaces: SubSequence {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return self[endIndex...] }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return self[first...last]
    }
}
