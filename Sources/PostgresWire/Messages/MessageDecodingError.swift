public import NIOCore

/// A message from the server that does not follow the protocol.
///
/// Carries the message's tag, the offset in its body where decoding stopped and the first bytes of the body.
public struct MessageDecodingError: Error, Sendable, CustomStringConvertible {
    /// How many body bytes ``bytes`` keeps at most.
    public static let maxCapturedBytes = 64

    /// The message type byte.
    public var tag: UInt8
    /// The offset in the body where decoding failed.
    public var offset: Int
    /// What is wrong.
    public var reason: String
    /// The start of the body (at most ``maxCapturedBytes``).
    public var bytes: [UInt8]

    /// Creates an error.
    /// - Parameters:
    ///   - tag: the message type byte.
    ///   - offset: where decoding failed, from the start of the body.
    ///   - reason: what is wrong.
    ///   - bytes: the body; its first ``maxCapturedBytes`` are kept.
    public init(tag: UInt8, offset: Int, reason: String, bytes: ByteBuffer) {
        self.tag = tag
        self.offset = offset
        self.reason = reason
        self.bytes =
            bytes.getBytes(at: bytes.readerIndex, length: min(bytes.readableBytes, Self.maxCapturedBytes)) ?? []
    }

    public var description: String {
        let printable =
            (0x20..<0x7F).contains(tag) ? "'\(Character(UnicodeScalar(tag)))'" : "0x\(String(tag, radix: 16))"
        let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        return "Malformed server message \(printable) at body offset \(offset): \(reason) (bytes: \(hex.joined()))"
    }
}
