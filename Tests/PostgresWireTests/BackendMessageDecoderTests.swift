import NIOCore
import NIOTestUtils
import Testing

@testable import PostgresWire

@Suite struct BackendMessageDecoderTests {
    /// Bytes as a server sends them, one message after another.
    static func frame(_ tag: Character, _ body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: tag.unicodeScalars.first ?? "?")]
        let length = UInt32(body.count + 4)
        bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        return bytes + body
    }

    static func cString(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }

    @Test func decodesAStartupConversationDripFed() throws {
        var stream: [UInt8] = []
        stream += Self.frame("R", [0, 0, 0, 10] + Self.cString("SCRAM-SHA-256") + [0])
        stream += Self.frame("R", [0, 0, 0, 0])
        stream += Self.frame("S", Self.cString("server_version") + Self.cString("15.18"))
        stream += Self.frame("K", [0, 0, 0x30, 0x39, 1, 2, 3, 4])
        stream += Self.frame("Z", [UInt8(ascii: "I")])
        let buffer = ByteBuffer(bytes: stream)
        let expected: [BackendMessage] = [
            .authentication(.sasl(mechanisms: ["SCRAM-SHA-256"])),
            .authentication(.ok),
            .parameterStatus(name: "server_version", value: "15.18"),
            .backendKeyData(processID: 12345, secretKey: ByteBuffer(bytes: [1, 2, 3, 4])),
            .readyForQuery(transactionStatus: UInt8(ascii: "I")),
        ]
        // Feeds the bytes whole, one byte at a time, and in random chunks.
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(buffer, expected)],
            decoderFactory: { BackendMessageDecoder(maxMessageSize: 1 << 20) }
        )
    }

    @Test func decodesErrorFields() throws {
        var body: [UInt8] = []
        body += [UInt8(ascii: "S")] + Self.cString("ERROR")
        body += [UInt8(ascii: "V")] + Self.cString("ERROR")
        body += [UInt8(ascii: "C")] + Self.cString("42704")
        body += [UInt8(ascii: "M")] + Self.cString("replication slot \"x\" does not exist")
        body += [UInt8(ascii: "H")] + Self.cString("create it")
        body += [UInt8(ascii: "F")] + Self.cString("slot.c")
        body += [0]
        var buffer = ByteBuffer(bytes: Self.frame("E", body))
        var decoder = BackendMessageDecoder(maxMessageSize: 1 << 20)
        let message = try decoder.decode(buffer: &buffer)
        guard case .errorResponse(let fields) = message else {
            Issue.record("expected an ErrorResponse, got \(String(describing: message))")
            return
        }
        #expect(fields.sqlState == "42704")
        #expect(fields.severity == "ERROR")
        #expect(fields.message == "replication slot \"x\" does not exist")
        #expect(fields.hint == "create it")
    }

    @Test func decodesDataRowsWithNulls() throws {
        var buffer = ByteBuffer(
            bytes: Self.frame("D", [0, 2, 0, 0, 0, 2, UInt8(ascii: "h"), UInt8(ascii: "i"), 0xFF, 0xFF, 0xFF, 0xFF])
        )
        var decoder = BackendMessageDecoder(maxMessageSize: 1 << 20)
        #expect(try decoder.decode(buffer: &buffer) == .dataRow([ByteBuffer(string: "hi"), nil]))
    }

    @Test(arguments: [0, 3, (1 << 20) + 1, UInt32.max] as [UInt32])
    func rejectsBadLengths(length: UInt32) {
        var buffer = ByteBuffer(bytes: [
            UInt8(ascii: "d"), UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
            UInt8(length & 0xFF),
        ])
        var decoder = BackendMessageDecoder(maxMessageSize: 1 << 20)
        #expect(throws: MessageDecodingError.self) { try decoder.decode(buffer: &buffer) }
    }

    @Test func rejectsUnknownTags() {
        var buffer = ByteBuffer(bytes: Self.frame("?", [1, 2, 3]))
        var decoder = BackendMessageDecoder(maxMessageSize: 1 << 20)
        #expect(throws: MessageDecodingError.self) { try decoder.decode(buffer: &buffer) }
    }

    @Test func rejectsTrailingBytesAndTruncatedBodies() {
        var decoder = BackendMessageDecoder(maxMessageSize: 1 << 20)
        var trailing = ByteBuffer(bytes: Self.frame("Z", [UInt8(ascii: "I"), 0]))
        #expect(throws: MessageDecodingError.self) { try decoder.decode(buffer: &trailing) }
        var truncated = ByteBuffer(bytes: Self.frame("D", [0, 1, 0, 0, 0, 9, 1]))
        #expect(throws: MessageDecodingError.self) { try decoder.decode(buffer: &truncated) }
        var unterminated = ByteBuffer(bytes: Self.frame("C", Array("SELECT 1".utf8)))
        #expect(throws: MessageDecodingError.self) { try decoder.decode(buffer: &unterminated) }
    }

    @Test func waitsForMoreBytesWithoutConsuming() throws {
        let full = Self.frame("C", Self.cString("SELECT 1"))
        var partial = ByteBuffer(bytes: full.prefix(7))
        var decoder = BackendMessageDecoder(maxMessageSize: 1 << 20)
        #expect(try decoder.decode(buffer: &partial) == nil)
        #expect(partial.readerIndex == 0)
    }

    @Test func decodesReplicationMessages() throws {
        var xlog: [UInt8] = [UInt8(ascii: "w")]
        xlog += [0, 0, 0, 1, 0, 0, 0, 0x10]  // start 1/10
        xlog += [0, 0, 0, 1, 0, 0, 0, 0x20]  // end 1/20
        xlog += [0, 0, 0, 0, 0, 0, 0, 5]  // time
        xlog += [UInt8(ascii: "B"), 1, 2]
        let message = try ReplicationMessage.decode(ByteBuffer(bytes: xlog))
        #expect(
            message
                == .xlogData(
                    XLogData(
                        walStart: LSN(0x1_0000_0010),
                        walEnd: LSN(0x1_0000_0020),
                        sendTime: 5,
                        data: ByteBuffer(bytes: [UInt8(ascii: "B"), 1, 2])
                    )
                )
        )
        let keepalive: [UInt8] = [UInt8(ascii: "k"), 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9, 1]
        #expect(
            try ReplicationMessage.decode(ByteBuffer(bytes: keepalive))
                == .keepalive(PrimaryKeepalive(walEnd: LSN(0x100), sendTime: 9, replyRequested: true))
        )
        #expect(throws: MessageDecodingError.self) {
            try ReplicationMessage.decode(ByteBuffer(bytes: [UInt8(ascii: "w"), 1]))
        }
        #expect(throws: MessageDecodingError.self) {
            try ReplicationMessage.decode(ByteBuffer(bytes: [UInt8(ascii: "x")]))
        }
        #expect(throws: MessageDecodingError.self) { try ReplicationMessage.decode(ByteBuffer(bytes: keepalive + [0])) }
    }

    @Test func encodesStandbyStatusUpdates() {
        let update = StandbyStatusUpdate(
            written: LSN(0x1_0000_0002),
            flushed: LSN(3),
            applied: LSN(3),
            clientTime: 7,
            replyRequested: false
        )
        let bytes = Array(buffer: update.encoded(allocator: ByteBufferAllocator()))
        #expect(bytes.count == 34)
        #expect(bytes[0] == UInt8(ascii: "r"))
        #expect(Array(bytes[1..<9]) == [0, 0, 0, 1, 0, 0, 0, 2])
        #expect(Array(bytes[9..<17]) == [0, 0, 0, 0, 0, 0, 0, 3])
        #expect(bytes[33] == 0)
    }

    @Test func encodesFrontendMessages() {
        var buffer = ByteBuffer()
        FrontendMessageEncoder().encode(data: .query("IDENTIFY_SYSTEM"), out: &buffer)
        #expect(Array(buffer: buffer) == Self.frame("Q", Self.cString("IDENTIFY_SYSTEM")))
        buffer.clear()
        FrontendMessageEncoder().encode(data: .sslRequest, out: &buffer)
        #expect(Array(buffer: buffer) == [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F])
        buffer.clear()
        FrontendMessageEncoder().encode(data: .startup(parameters: [("user", "u")]), out: &buffer)
        #expect(Array(buffer: buffer) == [0, 0, 0, 16, 0, 3, 0, 0] + Self.cString("user") + Self.cString("u") + [0])
    }

    @Test func descriptionsNeverShowPasswords() {
        #expect(!FrontendMessage.password("hunter2").description.contains("hunter2"))
        #expect(!FrontendMessage.saslResponse(Array("hunter2".utf8)).description.contains("hunter2"))
    }
}
