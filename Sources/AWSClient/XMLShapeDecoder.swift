import Foundation

/// A model read from EC2's XML by its own `Decodable` conformance: each field sits at the lowerCamel form of its
/// coding key (`InstanceId` → `instanceId`) unless `xmlPaths` names another place, so a field is named once.
///
/// A path is element names separated by `/`; `*` stands for each `<item>` of a list (`groupSet/*/groupId` reads
/// the `groupId` of every item), and `|` separates places tried in order (`status|state`).
protocol XMLShape: Decodable {
    /// The fields, by coding key, whose XML place is not the lowerCamel form of the key.
    static var xmlPaths: [String: String] { get }
}

extension XMLShape {
    static var xmlPaths: [String: String] { [:] }
}

/// Why an answer does not fit the shape read from it.
struct XMLShapeError: Error, CustomStringConvertible {
    /// The field's coding path, as `Attachments.0.DeleteOnTermination`.
    var field: String
    /// What was wrong with it.
    var problem: String

    var description: String { "\(field): \(problem)" }
}

extension XMLNode {
    /// Reads this element as `type`. An absent or empty element reads as nil when the field is optional and as
    /// the zero value (`""`, `0`, `false`, `[]`) when it is not; text that is not a number or a boolean where one
    /// is expected throws `XMLShapeError`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: XMLShapeDecoder(node: self, paths: XMLShapeDecoder.paths(of: T.self), codingPath: []))
    }

    /// The items of the list child `listName`, each read as `type`; none when the list is absent.
    func items<T: Decodable>(_ listName: String, as type: T.Type) throws -> [T] {
        try items(listName).map { try $0.decode(T.self) }
    }

    /// The `<item>` (or `<member>`) children of this element.
    var listItems: [XMLNode] { children.filter { $0.name == "item" || $0.name == "member" } }

    /// The element at a path in `XMLShape` syntax, nil when no alternative leads to one.
    func resolve(path: String) -> XMLNode? {
        for alternative in path.split(separator: "|") {
            if let found = resolve(steps: alternative.split(separator: "/").map(String.init)[...]) { return found }
        }
        return nil
    }

    private func resolve(steps: ArraySlice<String>) -> XMLNode? {
        guard let step = steps.first else { return self }
        if step == "*" {
            let projected = listItems.compactMap { $0.resolve(steps: steps.dropFirst()) }
            return XMLNode(
                name: name, children: projected.map { XMLNode(name: "item", text: $0.text, children: $0.children) })
        }
        return child(step)?.resolve(steps: steps.dropFirst())
    }

    /// Whether the element carries nothing: no text and no children.
    fileprivate var isEmpty: Bool { text.isEmpty && children.isEmpty }
}

/// A `Decoder` over one element (nil when the element is absent) with the paths of the shape being read.
private struct XMLShapeDecoder: Decoder {
    let node: XMLNode?
    let paths: [String: String]
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Fields<Key>(decoder: self))
    }

    func unkeyedContainer() -> any UnkeyedDecodingContainer {
        Items(items: node?.listItems ?? [], codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueDecodingContainer { Scalar(node: node, codingPath: codingPath) }

    /// A decoder for a value of `type` found at `node`, one step further along `key`.
    func nested<T>(_ type: T.Type, at node: XMLNode?, key: any CodingKey) -> XMLShapeDecoder {
        XMLShapeDecoder(node: node, paths: Self.paths(of: T.self), codingPath: codingPath + [key])
    }

    /// The paths of a shape, none for other types.
    static func paths<T>(of type: T.Type) -> [String: String] { (T.self as? any XMLShape.Type)?.xmlPaths ?? [:] }

    func failure(_ problem: String, at key: (any CodingKey)? = nil) -> XMLShapeError {
        XMLShapeError(
            field: (codingPath + (key.map { [$0] } ?? [])).map(\.stringValue).joined(separator: "."), problem: problem)
    }
}

/// The fields of a shape: each key read at its path.
private struct Fields<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: XMLShapeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { [] }

    private func element(_ key: Key) -> XMLNode? {
        let path =
            decoder.paths[key.stringValue] ?? key.stringValue.prefix(1).lowercased() + key.stringValue.dropFirst()
        return decoder.node?.resolve(path: path)
    }

    func contains(_ key: Key) -> Bool { element(key).map { !$0.isEmpty } ?? false }

    func decodeNil(forKey key: Key) -> Bool { !contains(key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try T(from: decoder.nested(T.self, at: element(key), key: key))
    }

    func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) -> KeyedDecodingContainer<N> {
        decoder.nested(Void.self, at: element(key), key: key).container(keyedBy: N.self)
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedDecodingContainer {
        decoder.nested(Void.self, at: element(key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { throw decoder.failure("inheritance is not read from XML") }

    func superDecoder(forKey key: Key) throws -> any Decoder { try superDecoder() }
}

/// The items of a list element, read in order.
private struct Items: UnkeyedDecodingContainer {
    let items: [XMLNode]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    /// A decoder for the next item, read as `type`.
    private mutating func next<T>(_ type: T.Type) throws -> XMLShapeDecoder {
        let key = Index(intValue: currentIndex)
        let parent = XMLShapeDecoder(node: nil, paths: [:], codingPath: codingPath)
        guard !isAtEnd else { throw parent.failure("the list has no more items", at: key) }
        defer { currentIndex += 1 }
        return parent.nested(T.self, at: items[currentIndex], key: key)
    }

    mutating func decodeNil() -> Bool {
        guard !isAtEnd, items[currentIndex].isEmpty else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: next(T.self)) }

    mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
        try next(Void.self).container(keyedBy: N.self)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next(Void.self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next(Void.self) }
}

/// The text of one element as a string, a number or a boolean.
private struct Scalar: SingleValueDecodingContainer {
    let node: XMLNode?
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { node?.isEmpty ?? true }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let string = (node?.text ?? "") as? T { return string }
        let failure = XMLShapeDecoder(node: node, paths: [:], codingPath: codingPath).failure
        guard let scalar = T.self as? any LosslessStringConvertible.Type else {
            throw failure("\(T.self) is not read from XML text", nil)
        }
        let text = node?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if text.isEmpty, let zero = scalar.init(T.self == Bool.self ? "false" : "0") as? T { return zero }
        guard let value = scalar.init(text) as? T else {
            throw failure("\"\(text.prefix(40))\" is not a valid \(T.self)", nil)
        }
        return value
    }
}
