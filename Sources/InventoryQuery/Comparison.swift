import MTVAPI

/// How the language compares values: numbers numerically, strings that both read as dates by time, other strings
/// lexically, and a missing value never equal to anything.
enum Comparison {
    /// `a = b`. Null on either side is never equal; values of different types are not equal.
    static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, _), (_, .null): return false
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)):
            if a == b { return true }
            if let first = Timestamp.parse(a), let second = Timestamp.parse(b) { return first == second }
            return false
        default: return lhs == rhs
        }
    }

    /// The order of two values for `<`, `<=`, `>`, `>=` and BETWEEN; nil when either is null. Types that have no
    /// order between them are an error.
    static func order(
        _ lhs: JSONValue, _ rhs: JSONValue, operator symbol: String, at position: Int
    ) throws(QueryError) -> Int? {
        switch (lhs, rhs) {
        case (.null, _), (_, .null): return nil
        case (.number(let a), .number(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.string(let a), .string(let b)):
            if let first = Timestamp.parse(a), let second = Timestamp.parse(b) {
                return first < second ? -1 : (first > second ? 1 : 0)
            }
            return a < b ? -1 : (a > b ? 1 : 0)
        default:
            throw .type("cannot compare \(describe(lhs)) with \(describe(rhs)) using \(symbol)", at: position)
        }
    }

    /// The order ORDER BY uses: numbers, then strings, then booleans, then lists and objects; nulls are placed by
    /// the caller. Never fails, so any mix of values sorts.
    static func sortOrder(_ lhs: JSONValue, _ rhs: JSONValue) -> Int {
        func rank(_ value: JSONValue) -> Int {
            switch value {
            case .number: 0
            case .string: 1
            case .bool: 2
            case .array, .object: 3
            case .null: 4
            }
        }
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.string(let a), .string(let b)):
            if let first = Timestamp.parse(a), let second = Timestamp.parse(b), first != second {
                return first < second ? -1 : 1
            }
            return a < b ? -1 : (a > b ? 1 : 0)
        case (.bool(let a), .bool(let b)): return a == b ? 0 : (a ? 1 : -1)
        default:
            let (first, second) = (rank(lhs), rank(rhs))
            if first != second { return first < second ? -1 : 1 }
            let (a, b) = (text(lhs), text(rhs))
            return a < b ? -1 : (a > b ? 1 : 0)
        }
    }

    private static func text(_ value: JSONValue) -> String {
        String(decoding: value.serialized(), as: UTF8.self)
    }

    /// A value as an error message names it: `string 'web'`, `number 5`, `a list`.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return "boolean \(flag)"
        case .number(let number): return "number \(format(number))"
        case .string(let text): return "string '\(text)'"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// A number without a trailing `.0` when it is whole.
    static func format(_ number: Double) -> String {
        if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }
}

/// RFC 3339 timestamps and `YYYY-MM-DD` dates as seconds since 1970 (UTC), parsed without Foundation so that
/// comparing many records stays cheap.
enum Timestamp {
    static func parse(_ text: String) -> Double? {
        guard text.utf8.count >= 10 else { return nil }
        var contiguous = text
        return contiguous.withUTF8 { parse(bytes: $0) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        let base = bytes.startIndex
        let count = bytes.count
        // Cheap rejection first: most strings compared are names, not dates.
        guard count >= 10, bytes[base + 4] == UInt8(ascii: "-"), bytes[base + 7] == UInt8(ascii: "-") else {
            return nil
        }
        func number(_ offset: Int, _ length: Int) -> Int? {
            guard offset + length <= count else { return nil }
            var value = 0
            for index in offset..<offset + length {
                let byte = bytes[base + index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
        if count == 10 { return seconds }

        guard bytes[base + 10] == UInt8(ascii: "T") || bytes[base + 10] == UInt8(ascii: "t"),
            let hour = number(11, 2), bytes.count > 13, bytes[base + 13] == UInt8(ascii: ":"),
            let minute = number(14, 2), bytes.count > 16, bytes[base + 16] == UInt8(ascii: ":"),
            let second = number(17, 2), hour < 24, minute < 60, second <= 60
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60 + second)
        var cursor = 19
        if cursor < count, bytes[base + cursor] == UInt8(ascii: ".") {
            cursor += 1
            // Digits as one integer over a power of ten, so ".25" and ".250" give the same Double.
            var fraction = 0
            var scale = 1
            let fractionStart = cursor
            while cursor < count, let digit = number(cursor, 1) {
                if scale < 1_000_000_000 {
                    fraction = fraction * 10 + digit
                    scale *= 10
                }
                cursor += 1
            }
            guard cursor > fractionStart else { return nil }
            seconds += Double(fraction) / Double(scale)
        }
        guard cursor < count else { return nil }
        let zone = bytes[base + cursor]
        if zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") {
            return cursor + 1 == count ? seconds : nil
        }
        guard zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-"), cursor + 6 == count,
            let offsetHours = number(cursor + 1, 2), bytes[base + cursor + 3] == UInt8(ascii: ":"),
            let offsetMinutes = number(cursor + 4, 2)
        else { return nil }
        let offset = Double(offsetHours * 3600 + offsetMinutes * 60)
        return zone == UInt8(ascii: "+") ? seconds - offset : seconds + offset
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's civil-days method).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
