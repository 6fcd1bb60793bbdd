/// A column value whose bytes do not fit its type.
///
/// It carries the type OID, the wire format, the first bytes of the value (at most ``maxRawBytes``) and a
/// reason code. ``description`` is one sentence; ``debugDescription`` adds the bytes.
public struct ValueDecodingError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Why the bytes could not be decoded. Extensible: match on the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case malformedText
            case malformedBinary
            case unexpectedEnd
            case trailingBytes
            case invalidUTF8
            case outOfRange
            case invalidArray
            case unchangedToast
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// Text that the type's output function cannot have produced.
        public static let malformedText = Code(.malformedText)
        /// Binary bytes that the type's send function cannot have produced.
        public static let malformedBinary = Code(.malformedBinary)
        /// The value ended before a field it announced.
        public static let unexpectedEnd = Code(.unexpectedEnd)
        /// Bytes were left over after the value.
        public static let trailingBytes = Code(.trailingBytes)
        /// Text that is not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A number or date outside the type's range.
        public static let outOfRange = Code(.outOfRange)
        /// An array header or literal that is inconsistent (dimensions, element count, nesting).
        public static let invalidArray = Code(.invalidArray)
        /// The column is an unchanged TOASTed value: pgoutput did not send it, so there is nothing to decode.
        public static let unchangedToast = Code(.unchangedToast)

        /// The code's name, for example `malformedText`.
        public var description: String { self.base.rawValue }
    }

    /// At most this many raw bytes are kept in ``rawBytes``.
    public static let maxRawBytes = 64

    /// Why decoding failed.
    public var code: Code
    /// What was wrong, in words.
    public var reason: String
    /// The column's type OID.
    public var typeOID: UInt32
    /// The wire format of the bytes (`nil` for an unchanged TOAST column).
    public var format: ColumnValue.Format?
    /// The first bytes of the value (at most ``maxRawBytes``).
    public var rawBytes: [UInt8]
    /// The total length of the value in bytes.
    public var rawLength: Int
    /// Where in our code the error was made.
    public var file: String
    /// Where in our code the error was made.
    public var line: Int

    /// Creates an error.
    /// - Parameters:
    ///   - code: why decoding failed.
    ///   - reason: what was wrong, in words.
    ///   - typeOID: the column's type OID.
    ///   - format: the wire format.
    ///   - rawBytes: the value's bytes; only the first ``maxRawBytes`` are kept.
    ///   - file: where in our code (defaults to the caller).
    ///   - line: where in our code (defaults to the caller).
    public init(
        _ code: Code,
        _ reason: String,
        typeOID: UInt32,
        format: ColumnValue.Format?,
        rawBytes: some Collection<UInt8>,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.reason = reason
        self.typeOID = typeOID
        self.format = format
        self.rawBytes = Array(rawBytes.prefix(Self.maxRawBytes))
        self.rawLength = rawBytes.count
        self.file = file
        self.line = line
    }

    /// One sentence: what could not be decoded and why.
    public var description: String {
        let formatText = self.format.map { "\($0)" } ?? "unchanged TOAST"
        return "Cannot decode a \(formatText) value of type OID \(self.typeOID) (\(self.code)): \(self.reason)"
    }

    /// Everything this error knows, with the raw bytes in hex.
    public var debugDescription: String {
        let hex = self.rawBytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
        let ellipsis = self.rawLength > self.rawBytes.count ? "..." : ""
        return "ValueDecodingError(code: \(self.code), reason: \(self.reason), typeOID: \(self.typeOID), "
            + "format: \(self.format.map { "\($0)" } ?? "nil"), length: \(self.rawLength), "
            + "bytes: \(hex)\(ellipsis), at: \(self.file):\(self.line))"
    }
}

/// An internal decoding failure, turned into a ``ValueDecodingError`` with the value's context by
/// ``ColumnValue/decode(catalog:)``.
struct DecodeFailure: Error {
    var code: ValueDecodingError.Code
    var reason: String

    init(_ code: ValueDecodingError.Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}
