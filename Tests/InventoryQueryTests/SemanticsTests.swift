import Foundation
import InventoryQuery
import MTVAPI
import Testing

/// The TSL evaluation table (research kubectl-mtv.md §2.5), over one book-shaped record.
@Suite("TSL expression semantics")
struct SemanticsTests {
    static let book: JSONValue = [
        "title": "A good book", "author": "Joe", "spec": ["pages": 14, "rating": 5], "loaned": true,
        "date": "2020-01-01T00:00:00Z", "tags": ["fiction", "bestseller"], "price": 29.99, "numbers": [1, 2, 3],
        "booleans": [true, false, true], "dateStr": "2020-01-01T00:00:00Z", "shortDateStr": "2020-01-01",
        // Not in the upstream record: a field that is present but null, and two for the error rows.
        "nothing": .null, "count": 7, "name": "x",
    ]

    private func value(_ text: String, _ record: JSONValue = book) throws -> JSONValue {
        try QueryExpression.parse(text).evaluate(record)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let expression: String
        let expected: JSONValue
        var testDescription: String { expression }
    }

    static let trueRows = [
        "title = 'A good book'", "author != 'Jane'", "title like '%good%'", "title ilike '%GOOD%'",
        "title ~= 'good.*'", "title ~! '.*bad.*'",
        "spec.pages = 14", "spec.rating > 4", "price between 20 and 30", "14 = spec.pages", "14.0 = spec.pages",
        "spec.pages + 1 = 15", "price / 2 = 14.995", "spec.pages % 5 = 4", "-spec.rating = -5",
        "-(spec.rating - 10) = 5",
        "(spec.pages > 10 and loaned = true) or spec.rating >= 5", "loaned and spec.rating > 4",
        "date > '2019-12-31T00:00:00Z'", "date between '2019-12-31T00:00:00Z' and '2020-01-02T00:00:00Z'",
        "shortDateStr = '2020-01-01'", "dateStr > '2019-12-31T00:00:00Z'",
        "spec.rating in [3, 4, 5]", "2 in numbers", "5 in (numbers + 2)", "title is not null",
        "any (numbers > 1)", "all ((numbers + 10) > 10)", "any (tags like '%sell%')",
        "author < 'Zoe'", "author >= 'Joe'",
    ]

    @Test("expressions the TSL table marks true are true", arguments: trueRows)
    func trueExpression(_ expression: String) throws {
        #expect(try value(expression) == true)
    }

    static let falseRows = [
        "spec.pages in [20, 30, 40]", "5 in numbers", "price is null", "all (numbers > 1)", "all (tags like '%i%')",
        "author < 'Adam'",
    ]

    @Test("expressions the TSL table marks false are false", arguments: falseRows)
    func falseExpression(_ expression: String) throws {
        #expect(try value(expression) == false)
    }

    static let valueRows: [Row] = [
        Row(expression: "numbers > 1", expected: [false, true, true]),
        Row(expression: "tags = 'fiction'", expected: [true, false]),
        Row(expression: "tags like 'fic%'", expected: [true, false]),
        Row(expression: "len numbers", expected: 3),
        Row(expression: "len(numbers)", expected: 3),
        Row(expression: "len [1,2,3,4,5]", expected: 5),
        Row(expression: "sum numbers", expected: 6),
        Row(expression: "sum (numbers * 2)", expected: 12),
        Row(expression: "sum numbers + 4", expected: 10),
    ]

    @Test("list-valued and reducing expressions give the TSL values", arguments: valueRows)
    func valueExpression(_ row: Row) throws {
        #expect(try value(row.expression) == row.expected)
    }

    static let nullFalseRows = ["nothing > 5", "nothing ~= 'p'", "nothing like '%t%'", "nothing = 'x'"]

    @Test("with a field present but null, ordering, pattern and equality tests are false", arguments: nullFalseRows)
    func nullIsFalse(_ expression: String) throws {
        #expect(try value(expression) == false)
        #expect(try value(expression.replacingFirst("nothing", with: "missing.field")) == false)
    }

    static let nullTrueRows = ["nothing ~! 'p'", "nothing != 'x'", "nothing is null"]

    @Test("with a field present but null, ~!, != and IS NULL are true", arguments: nullTrueRows)
    func nullIsTrue(_ expression: String) throws {
        #expect(try value(expression) == true)
        #expect(try value(expression.replacingFirst("nothing", with: "missing.field")) == true)
    }

    @Test("dividing a field by zero is a division-by-zero error at the operator")
    func divisionByZero() throws {
        let error = try #require(throws: QueryError.self) { try value("count / 0") }
        #expect(error.kind == .divisionByZero)
        #expect(error.position == 6)
        #expect(throws: QueryError.self) { try value("count % 0.5") }
    }

    @Test("an invalid regular expression fails when the expression is parsed")
    func invalidRegexAtParse() throws {
        let error = try #require(throws: QueryError.self) { try QueryExpression.parse("name ~= '[invalid'") }
        #expect(error.kind == .invalidRegex)
    }

    @Test("AND on a number is a type error asking for a boolean")
    func andNeedsBoolean() throws {
        let error = try #require(throws: QueryError.self) { try value("count and true") }
        #expect(error.kind == .type)
        #expect(error.message == "AND needs true/false values, got number 7")
    }

    @Test("adding a number to a string is a type error asking for numbers")
    func plusNeedsNumbers() throws {
        let error = try #require(throws: QueryError.self) { try value("name + 1") }
        #expect(error.kind == .type)
        #expect(error.message == "'+' needs numbers, got string 'x' and number 1")
    }

    @Test("ordering a string against a number is a type error; equality is just false")
    func mixedTypes() throws {
        #expect(throws: QueryError.self) { try value("author > 5") }
        #expect(try value("author = 5") == false)
        #expect(try value("author != 5") == true)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
