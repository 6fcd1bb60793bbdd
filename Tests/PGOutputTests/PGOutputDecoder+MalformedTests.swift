import NIOCore
import PGOutput
import Testing

/// Hand-made bytes for what a server must never send, and for the v4 Stream Abort that PostgreSQL 15 cannot record.
@Suite struct PGOutputDecoderMalformedTests {
    private static let relationID: UInt32 = 16_384
    private static let walStart: UInt64 = 0x1_016B_3748

    private static func message(_ tag: Character, _ write: (inout ByteBuffer) -> Void = { _ in }) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(tag.asciiValue ?? 0)
        write(&buffer)
        return buffer
    }

    /// A Relation message for `public.t` with `columns` text columns.
    private static func relation(columns: Int16 = 2, xid: UInt32? = nil) -> ByteBuffer {
        message("R") { buffer in
            if let xid { buffer.writeInteger(xid) }
            buffer.writeInteger(relationID)
            buffer.writeNullTerminatedString("public")
            buffer.writeNullTerminatedString("t")
            buffer.writeInteger(UInt8(ascii: "d"))
            buffer.writeInteger(columns)
            for index in 0..<columns {
                buffer.writeInteger(UInt8(index == 0 ? 1 : 0))
                buffer.writeNullTerminatedString("c\(index)")
                buffer.writeInteger(UInt32(25))
                buffer.writeInteger(Int32(-1))
            }
        }
    }

    private static func insert(relation: UInt32 = relationID, columns: Int16 = 2, kind: Character = "t") -> ByteBuffer {
        message("I") { buffer in
            buffer.writeInteger(relation)
            buffer.writeInteger(UInt8(ascii: "N"))
            buffer.writeInteger(columns)
            for _ in 0..<columns {
                buffer.writeInteger(kind.asciiValue ?? 0)
                buffer.writeInteger(Int32(2))
                buffer.writeString("ab")
            }
        }
    }

    private static func decoderWithRelation(_ version: PGOutputProtocolVersion = .v1) throws -> PGOutputDecoder {
        var decoder = PGOutputDecoder(protocolVersion: version)
        _ = try decoder.decode(relation(), walStart: walStart)
        return decoder
    }

    private static func expectError(
        _ code: PGOutputDecodingError.Code,
        decoding bytes: ByteBuffer,
        with decoder: PGOutputDecoder,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> PGOutputDecodingError? {
        var decoder = decoder
        let error = #expect(throws: PGOutputDecodingError.self, sourceLocation: sourceLocation) {
            try decoder.decode(bytes, walStart: walStart)
        }
        #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.walStart == walStart, sourceLocation: sourceLocation)
        return error
    }

    @Test func emptyMessageIsTruncated() {
        let error = Self.expectError(.truncated, decoding: ByteBuffer(), with: PGOutputDecoder(protocolVersion: .v1))
        #expect(error?.tag == nil)
        #expect(error?.offset == 0)
    }

    @Test func unknownTag() {
        let error = Self.expectError(
            .unknownTag,
            decoding: Self.message("Z"),
            with: PGOutputDecoder(protocolVersion: .v4)
        )
        #expect(error?.tag == UInt8(ascii: "Z"))
        #expect(error?.offset == 0)
        #expect(error?.rawBytes == [UInt8(ascii: "Z")])
    }

    @Test func unknownTupleKind() throws {
        let error = Self.expectError(
            .unknownTupleKind,
            decoding: Self.insert(kind: "x"),
            with: try Self.decoderWithRelation()
        )
        #expect(error?.relationID == Self.relationID)
        #expect(error?.offset == 1 + 4 + 1 + 2, "the first column's kind byte")
    }

    @Test func unknownTupleMarker() throws {
        let update = Self.message("U") { buffer in
            buffer.writeInteger(Self.relationID)
            buffer.writeInteger(UInt8(ascii: "X"))
        }
        let error = Self.expectError(.unknownTupleKind, decoding: update, with: try Self.decoderWithRelation())
        #expect(error?.offset == 5)
        let delete = Self.message("D") { buffer in
            buffer.writeInteger(Self.relationID)
            buffer.writeInteger(UInt8(ascii: "N"))
        }
        _ = Self.expectError(.unknownTupleKind, decoding: delete, with: try Self.decoderWithRelation())
    }

    @Test func columnCountMismatch() throws {
        let error = Self.expectError(
            .columnCountMismatch,
            decoding: Self.insert(columns: 3),
            with: try Self.decoderWithRelation()
        )
        #expect(error?.relationID == Self.relationID)
        #expect(error?.offset == 6)
    }

    @Test func rowOfAnUnknownRelation() throws {
        let error = Self.expectError(
            .unknownRelation,
            decoding: Self.insert(relation: 99),
            with: try Self.decoderWithRelation()
        )
        #expect(error?.relationID == 99)
        #expect(error?.offset == 1)
    }

    @Test func aNewRelationMessageChangesTheColumnCount() throws {
        var decoder = try Self.decoderWithRelation()
        _ = try decoder.decode(Self.insert(columns: 2), walStart: Self.walStart)
        _ = try decoder.decode(Self.relation(columns: 3), walStart: Self.walStart)
        #expect(decoder.columnCount(ofRelation: Self.relationID) == 3)
        let insert = try decoder.decode(Self.insert(columns: 3), walStart: Self.walStart)
        #expect(insert.insert?.newTuple.texts == ["ab", "ab", "ab"])
        _ = Self.expectError(.columnCountMismatch, decoding: Self.insert(columns: 2), with: decoder)
    }

    @Test func aFailedRelationMessageIsNotRemembered() throws {
        var decoder = PGOutputDecoder(protocolVersion: .v1)
        var broken = Self.relation()
        broken.writeInteger(UInt8(0))
        #expect(throws: PGOutputDecodingError.self) { try decoder.decode(broken, walStart: Self.walStart) }
        #expect(decoder.columnCount(ofRelation: Self.relationID) == nil)
    }

    @Test func trailingBytes() {
        var begin = Self.message("B") { buffer in
            buffer.writeInteger(UInt64(1))
            buffer.writeInteger(Int64(2))
            buffer.writeInteger(UInt32(3))
        }
        begin.writeBytes([0xAA, 0xBB])
        let error = Self.expectError(.trailingBytes, decoding: begin, with: PGOutputDecoder(protocolVersion: .v1))
        #expect(error?.offset == 21)
    }

    @Test func negativeLengths() throws {
        let value = Self.message("I") { buffer in
            buffer.writeInteger(Self.relationID)
            buffer.writeInteger(UInt8(ascii: "N"))
            buffer.writeInteger(Int16(2))
            buffer.writeInteger(UInt8(ascii: "t"))
            buffer.writeInteger(Int32(-5))
        }
        _ = Self.expectError(.invalidValue, decoding: value, with: try Self.decoderWithRelation())
        let content = Self.message("M") { buffer in
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(UInt64(1))
            buffer.writeNullTerminatedString("p")
            buffer.writeInteger(Int32(-1))
        }
        _ = Self.expectError(.invalidValue, decoding: content, with: PGOutputDecoder(protocolVersion: .v1))
    }

    @Test func unknownReplicaIdentity() {
        var relation = Self.relation()
        relation.setInteger(UInt8(ascii: "x"), at: 1 + 4 + 7 + 2)
        let error = Self.expectError(.invalidValue, decoding: relation, with: PGOutputDecoder(protocolVersion: .v1))
        #expect(error?.offset == 14)
        #expect(error?.relationID == Self.relationID)
    }

    @Test func streamStopWithoutStart() {
        _ = Self.expectError(
            .unexpectedStreamState,
            decoding: Self.message("E"),
            with: PGOutputDecoder(protocolVersion: .v2)
        )
    }

    @Test func streamBlocksDoNotNest() throws {
        let start = Self.message("S") { buffer in
            buffer.writeInteger(UInt32(700))
            buffer.writeInteger(UInt8(1))
        }
        var decoder = PGOutputDecoder(protocolVersion: .v2)
        _ = try decoder.decode(start, walStart: Self.walStart)
        #expect(decoder.streamingXID == 700)
        _ = Self.expectError(.unexpectedStreamState, decoding: start, with: decoder)
        let commit = Self.message("C") { buffer in
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(UInt64(1))
            buffer.writeInteger(UInt64(2))
            buffer.writeInteger(Int64(3))
        }
        _ = Self.expectError(.unexpectedStreamState, decoding: commit, with: decoder)
        // Inside the block the relation carries the xid.
        let relation = try decoder.decode(Self.relation(xid: 700), walStart: Self.walStart)
        #expect(relation.relation?.xid == 700)
        #expect(try decoder.decode(Self.message("E"), walStart: Self.walStart) == .streamStop)
        #expect(decoder.streamingXID == nil)
    }

    @Test func streamingNeedsProtocolVersion2() {
        let start = Self.message("S") { buffer in
            buffer.writeInteger(UInt32(700))
            buffer.writeInteger(UInt8(1))
        }
        _ = Self.expectError(
            .unsupportedByProtocolVersion,
            decoding: start,
            with: PGOutputDecoder(protocolVersion: .v1)
        )
        _ = Self.expectError(
            .unsupportedByProtocolVersion,
            decoding: Self.message("b"),
            with: PGOutputDecoder(protocolVersion: .v2)
        )
    }

    private static func streamAbort(withInfo: Bool) -> ByteBuffer {
        message("A") { buffer in
            buffer.writeInteger(UInt32(800))
            buffer.writeInteger(UInt32(801))
            if withInfo {
                buffer.writeInteger(UInt64(0x2_0000_0010))
                buffer.writeInteger(Int64(777_000_000))
            }
        }
    }

    @Test func version4StreamAbortWithAbortInfo() throws {
        var told = PGOutputDecoder(protocolVersion: .v4, streamAbortCarriesAbortInfo: true)
        let abort = try #require(try told.decode(Self.streamAbort(withInfo: true), walStart: Self.walStart).streamAbort)
        #expect(
            abort
                == PGOutputMessage.StreamAbort(
                    xid: 800,
                    subxid: 801,
                    abortLSN: 0x2_0000_0010,
                    abortTimestamp: 777_000_000
                )
        )
        #expect(!abort.abortsTopLevelTransaction)
        let full = Self.streamAbort(withInfo: true)
        for length in 0..<full.readableBytes {
            _ = Self.expectError(.truncated, decoding: full.getSlice(at: 0, length: length) ?? ByteBuffer(), with: told)
        }
        // Told nothing, version 4 accepts both forms; below version 4 the extra fields are trailing bytes.
        var untold = PGOutputDecoder(protocolVersion: .v4)
        #expect(try untold.decode(full, walStart: Self.walStart).streamAbort?.abortLSN == 0x2_0000_0010)
        #expect(
            try untold.decode(Self.streamAbort(withInfo: false), walStart: Self.walStart).streamAbort?.abortLSN == nil
        )
        _ = Self.expectError(.trailingBytes, decoding: full, with: PGOutputDecoder(protocolVersion: .v3))
        _ = Self.expectError(
            .trailingBytes,
            decoding: full,
            with: PGOutputDecoder(protocolVersion: .v4, streamAbortCarriesAbortInfo: false)
        )
    }

    @Test func descriptionNamesTagOffsetRelationAndLSN() throws {
        let error = try #require(
            Self.expectError(
                .columnCountMismatch,
                decoding: Self.insert(columns: 3),
                with: try Self.decoderWithRelation()
            )
        )
        #expect(error.description.contains("'I'"))
        #expect(error.description.contains("offset 6"))
        #expect(error.description.contains("relation 16384"))
        #expect(error.description.contains("1/16B3748"))
        #expect(error.debugDescription.contains("rawBytes: 49000040004e0003"))
    }

    @Test func rawBytesAreCapped() throws {
        var long = Self.message("M") { buffer in
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(UInt64(1))
            buffer.writeNullTerminatedString(String(repeating: "p", count: 200))
        }
        long.writeInteger(Int32(10))
        let error = Self.expectError(.truncated, decoding: long, with: PGOutputDecoder(protocolVersion: .v1))
        #expect(error?.rawBytes.count == PGOutputDecodingError.maximumRawBytes)
    }

    @Test func tupleDataFromValuesEqualsDecodedData() throws {
        var decoder = try Self.decoderWithRelation()
        let insert = try #require(try decoder.decode(Self.insert(), walStart: Self.walStart).insert)
        let built = TupleData([.text(ByteBuffer(string: "ab")), .text(ByteBuffer(string: "ab"))])
        #expect(insert.newTuple == built)
        #expect(insert.newTuple.hashValue == built.hashValue)
        #expect(
            TupleData([.null, .unchangedToast, .binary(ByteBuffer(bytes: [1]))]).map { $0 } == [
                .null, .unchangedToast, .binary(ByteBuffer(bytes: [1])),
            ]
        )
        #expect(insert.newTuple != TupleData([.text(ByteBuffer(string: "ab")), .null]))
    }
}
