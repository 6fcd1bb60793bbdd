import NIOCore

/// Writes ``FrontendMessage``s: a tag byte, a length placeholder patched once the body is written, the body.
struct FrontendMessageEncoder: MessageToByteEncoder {
    typealias OutboundIn = FrontendMessage

    /// Protocol 3.0.
    static let protocolVersion: Int32 = 196_608
    /// The SSLRequest code (1234 << 16 | 5679).
    static let sslRequestCode: Int32 = 80_877_103

    func encode(data message: FrontendMessage, out buffer: inout ByteBuffer) {
        switch message {
        case .startup(let parameters):
            Self.untagged(into: &buffer) { buffer in
                buffer.writeInteger(Self.protocolVersion, endianness: .big)
                for (name, value) in parameters {
                    buffer.writeNullTerminatedString(name)
                    buffer.writeNullTerminatedString(value)
                }
                buffer.writeInteger(UInt8(0))
            }
        case .sslRequest:
            Self.untagged(into: &buffer) { $0.writeInteger(Self.sslRequestCode, endianness: .big) }
        case .password(let password):
            Self.tagged("p", into: &buffer) { $0.writeNullTerminatedString(password) }
        case .saslInitialResponse(let mechanism, let data):
            Self.tagged("p", into: &buffer) { buffer in
                buffer.writeNullTerminatedString(mechanism)
                buffer.writeInteger(Int32(data.count), endianness: .big)
                buffer.writeBytes(data)
            }
        case .saslResponse(let data):
            Self.tagged("p", into: &buffer) { $0.writeBytes(data) }
        case .query(let sql):
            Self.tagged("Q", into: &buffer) { $0.writeNullTerminatedString(sql) }
        case .copyData(let data):
            Self.tagged("d", into: &buffer) { $0.writeImmutableBuffer(data) }
        case .copyDone:
            Self.tagged("c", into: &buffer) { _ in }
        case .terminate:
            Self.tagged("X", into: &buffer) { _ in }
        }
    }

    private static func tagged(_ tag: Unicode.Scalar, into buffer: inout ByteBuffer, body: (inout ByteBuffer) -> Void) {
        buffer.writeInteger(UInt8(ascii: tag))
        untagged(into: &buffer, body: body)
    }

    private static func untagged(into buffer: inout ByteBuffer, body: (inout ByteBuffer) -> Void) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        body(&buffer)
        buffer.setInteger(Int32(buffer.writerIndex - lengthIndex), at: lengthIndex, endianness: .big)
    }
}
