import NIOCore

/// Frames the server's byte stream into ``BackendMessage``s: one tag byte, a 4-byte length that counts itself,
/// then the body.
///
/// Short input returns `nil` and leaves the reader index where it was. A length below 4 or above
/// ``maxMessageSize`` throws (a corrupt stream must not make us wait forever or allocate without bound).
struct BackendMessageDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = BackendMessage

    /// The largest message accepted, in bytes, length field included.
    let maxMessageSize: Int

    init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    mutating func decode(buffer: inout ByteBuffer) throws -> BackendMessage? {
        let start = buffer.readerIndex
        guard let (tag, length) = buffer.readMultipleIntegers(endianness: .big, as: (UInt8, UInt32).self) else {
            return nil
        }
        guard length >= 4, length <= self.maxMessageSize else {
            buffer.moveReaderIndex(to: start)
            throw MessageDecodingError(
                tag: tag,
                offset: 0,
                reason: "message length \(length) is outside 4...\(self.maxMessageSize)",
                bytes: buffer.getSlice(at: start, length: min(buffer.readableBytes, 64)) ?? ByteBuffer()
            )
        }
        guard var body = buffer.readSlice(length: Int(length) - 4) else {
            buffer.moveReaderIndex(to: start)
            return nil
        }
        return try BackendMessage.decode(tag: tag, body: &body)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> BackendMessage? {
        try self.decode(buffer: &buffer)
    }
}
