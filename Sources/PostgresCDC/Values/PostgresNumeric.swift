/// An exact `numeric` value, kept as the decimal string PostgreSQL prints.
///
/// It never goes through `Double`: `-12.3400` stays `-12.3400`. The special values are `NaN`, `Infinity`
/// and `-Infinity`.
public struct PostgresNumeric: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The decimal string as PostgreSQL prints it.
    public let description: String

    /// Creates a numeric from a decimal string as PostgreSQL prints it.
    /// - Parameter text: `-?digits(.digits)?`, `NaN`, `Infinity` or `-Infinity`.
    /// - Returns: `nil` when `text` is not in that form.
    public init?(_ text: String) {
        guard Self.isValid(text.utf8) else { return nil }
        self.description = text
    }

    /// Creates a numeric from a literal; the literal must be valid.
    /// - Parameter value: a decimal string as PostgreSQL prints it.
    public init(stringLiteral value: String) {
        precondition(Self.isValid(value.utf8), "not a numeric literal: \(value)")
        self.description = value
    }

    init(validated text: String) {
        self.description = text
    }

    /// Whether this is `NaN`.
    public var isNaN: Bool { self.description == "NaN" }

    /// Whether this is `Infinity` or `-Infinity`.
    public var isInfinite: Bool { self.description == "Infinity" || self.description == "-Infinity" }

    static func isValid<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        // Only N, I or -I can start a special value; most numbers need no comparison.
        if let first = bytes.first,
            first == UInt8(ascii: "N") || first == UInt8(ascii: "I") || first == UInt8(ascii: "-"),
            bytes.elementsEqual("NaN".utf8) || bytes.elementsEqual("Infinity".utf8)
                || bytes.elementsEqual("-Infinity".utf8)
        {
            return true
        }
        var index = bytes.startIndex
        if index != bytes.endIndex, bytes[index] == UInt8(ascii: "-") {
            index = bytes.index(after: index)
        }
        var integerDigits = 0
        var fractionDigits = 0
        var seenPoint = false
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if seenPoint { fractionDigits += 1 } else { integerDigits += 1 }
            } else if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                return false
            }
            index = bytes.index(after: index)
        }
        return integerDigits > 0 && (!seenPoint || fractionDigits > 0)
    }
}
