import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A parsed XML element: name, text and children. AWS Query responses are small trees read once, so a DOM
/// keeps decoding simple: models read the fields they know through `decode(_:)` and ignore the rest.
public struct XMLNode: Sendable {
    public var name: String
    public var text: String
    public var children: [XMLNode]

    /// Creates a node.
    public init(name: String, text: String = "", children: [XMLNode] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// Parses a document; nil when the bytes are not well-formed XML.
    public static func parse(_ data: [UInt8]) -> XMLNode? {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: Data(data))
        parser.delegate = delegate
        guard parser.parse(), let root = delegate.root else { return nil }
        return root
    }

    /// The first child with this name.
    public func child(_ name: String) -> XMLNode? {
        children.first { $0.name == name }
    }

    /// Follows a path of child names.
    public func at(_ path: String...) -> XMLNode? {
        var node: XMLNode? = self
        for name in path { node = node?.child(name) }
        return node
    }

    /// The text of the child with this name, nil when absent or empty.
    public func string(_ name: String) -> String? {
        guard let text = child(name)?.text, !text.isEmpty else { return nil }
        return text
    }

    /// The child's text as an integer.
    public func int(_ name: String) -> Int? { string(name).flatMap { Int($0) } }

    /// The child's text as a boolean (`true`/`false`).
    public func bool(_ name: String) -> Bool? { string(name).map { $0 == "true" } }

    /// The `<item>` elements of a list child such as `<reservationSet>`; empty when the list is absent.
    public func items(_ listName: String) -> [XMLNode] {
        child(listName)?.listItems ?? []
    }

    /// The text of the `<item>`s of a list of strings.
    public func strings(_ listName: String) -> [String] {
        items(listName).map(\.text)
    }
}

/// Builds an `XMLNode` tree from parser callbacks; namespaces are dropped (EC2 uses one default namespace).
private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLNode] = []
    var root: XMLNode?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        stack.append(XMLNode(name: elementName))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
    ) {
        guard var node = stack.popLast() else { return }
        if !node.children.isEmpty { node.text = "" }
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
    }
}
