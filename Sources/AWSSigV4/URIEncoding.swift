import Foundation

/// Percent-encoding as SigV4 wants it (RFC 3986): only `A-Z a-z 0-9 - . _ ~` stay as they are.
public enum URIEncoding {
    /// Encodes every byte outside the unreserved set; with `keepSlash`, `/` stays (for URI paths).
    public static func encode(_ value: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%"
                out.unicodeScalars.append(hexDigit(byte >> 4))
                out.unicodeScalars.append(hexDigit(byte & 0x0F))
            }
        }
        return out
    }

    /// Encodes name/value pairs as `application/x-www-form-urlencoded`, in the order given, as botocore writes
    /// them: a space is `+`, every other byte outside the unreserved set `%XX`.
    public static func formBody(_ parameters: [(String, String)]) -> String {
        let form = { (text: String) in encode(text).replacingOccurrences(of: "%20", with: "+") }
        return parameters.map { "\(form($0.0))=\(form($0.1))" }.joined(separator: "&")
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(nibble < 10 ? nibble + UInt8(ascii: "0") : nibble - 10 + UInt8(ascii: "A"))
    }
}
