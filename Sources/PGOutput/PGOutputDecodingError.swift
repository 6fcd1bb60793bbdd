/// A `pgoutput` message that could not be decoded.
///
/// It carries where the problem is: the message tag, the byte offset inside the message (the tag is offset 0), the
/// relation when one is known, the WAL position of the XLogData that carried the message, and the first bytes of
/// the message. ``description`` is one sentence; ``debugDescription`` adds the raw bytes.
public struct PGOutputDecodingError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. Extensible: match on the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case truncated
            case unknownTag
            case unknownTupleKind
            case unknownRelation
            case columnCountMismatch
            case invalidValue
            case trailingBytes
            case unexpectedStreamState
            case unsupportedByProtocolVersion
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The message ends before a field it must contain.
        public static let truncated = Code(.truncated)
        /// The first byte is not a known message tag.
        public static let unknownTag = Code(.unknownTag)
        /// A tuple column kind is not `n`, `u`, `t` or `b`, or a tuple marker is not `N`, `K` or `O`.
        public static let unknownTupleKind = Code(.unknownTupleKind)
        /// A row message names a relation whose Relation message was not seen first.
        public static let unknownRelation = Code(.unknownRelation)
        /// A tuple has a different number of columns than its Relation message announced.
        public static let columnCountMismatch = Code(.columnCountMismatch)
        /// A field has a value the protocol does not allow (a negative length, an unknown replica identity, ...).
        public static let invalidValue = Code(.invalidValue)
        /// Bytes are left after the last field of the message.
        public static let trailingBytes = Code(.trailingBytes)
        /// A stream message where it cannot be: Stream Stop without Stream Start, Stream Start inside a stream
        /// block, or a transaction-ending message inside one.
        public static let unexpectedStreamState = Code(.unexpectedStreamState)
        /// A message that the negotiated protocol version does not have (for example Stream Start in version 1).
        public static let unsupportedByProtocolVersion = Code(.unsupportedByProtocolVersion)

        public var description: String { self.base.rawValue }
    }

    /// The most raw bytes an error keeps.
    public static let maximumRawBytes = 64

    /// What kind of failure this is.
    public var code: Code
    /// The message tag (its first byte), when the message has one.
    public var tag: UInt8?
    /// The byte offset inside the message where decoding failed; the tag is at offset 0.
    public var offset: Int
    /// The relation the message concerns, when it was read before the failure.
    public var relationID: UInt32?
    /// The start LSN of the XLogData that carried the message.
    public var walStart: UInt64?
    /// The first bytes of the message, at most ``maximumRawBytes``.
    public var rawBytes: [UInt8]
    /// What was expected and what was found, in words.
    public var detail: String
    /// Where in our code the error was made.
    public var file: String
    /// Where in our code the error was made.
    public var line: Int

    /// Creates an error.
    /// - Parameters:
    ///   - code: what kind of failure this is.
    ///   - detail: what was expected and what was found.
    ///   - tag: the message tag.
    ///   - offset: the byte offset inside the message.
    ///   - relationID: the relation concerned.
    ///   - walStart: the start LSN of the XLogData.
    ///   - rawBytes: the message bytes; only the first ``maximumRawBytes`` are kept.
    ///   - file: where the error was made.
    ///   - line: where the error was made.
    public init(
        _ code: Code,
        _ detail: String,
        tag: UInt8? = nil,
        offset: Int = 0,
        relationID: UInt32? = nil,
        walStart: UInt64? = nil,
        rawBytes: [UInt8] = [],
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.detail = detail
        self.tag = tag
        self.offset = offset
        self.relationID = relationID
        self.walStart = walStart
        self.rawBytes = Array(rawBytes.prefix(Self.maximumRawBytes))
        self.file = file
        self.line = line
    }

    /// One sentence: what is wrong with which message, where.
    public var description: String {
        var text = "Cannot decode pgoutput message"
        if let tag {
            text += " " + Self.describe(tag: tag)
        }
        text += " at offset \(self.offset)"
        if let relationID {
            text += " (relation \(relationID))"
        }
        if let walStart {
            text += " in WAL record \(Self.format(lsn: walStart))"
        }
        text += ": \(self.code): \(self.detail)"
        return text
    }

    /// Everything this error knows, including the raw bytes in hex.
    public var debugDescription: String {
        var parts = ["PGOutputDecodingError(code: \(self.code)", "detail: \(self.detail)"]
        if let tag { parts.append("tag: \(Self.describe(tag: tag))") }
        parts.append("offset: \(self.offset)")
        if let relationID { parts.append("relationID: \(relationID)") }
        if let walStart { parts.append("walStart: \(Self.format(lsn: walStart))") }
        let hex = self.rawBytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }
        parts.append("rawBytes: \(hex.joined())")
        parts.append("at: \(self.file):\(self.line))")
        return parts.joined(separator: ", ")
    }

    private static func describe(tag: UInt8) -> String {
        if tag >= 0x20 && tag < 0x7F {
            return "'\(Character(Unicode.Scalar(tag)))'"
        }
        return "0x" + String(tag, radix: 16)
    }

    private static func format(lsn: UInt64) -> String {
        String(lsn >> 32, radix: 16, uppercase: true) + "/" + String(lsn & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }
}
