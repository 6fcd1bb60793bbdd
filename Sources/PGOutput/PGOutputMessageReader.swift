import NIOCore

/// Reads the fields of one `pgoutput` message and makes errors that know where they happened.
struct PGOutputMessageReader {
    private(set) var buffer: ByteBuffer
    private let startIndex: Int
    private let walStart: UInt64
    var tag: UInt8?
    var relationID: UInt32?

    init(_ buffer: ByteBuffer, walStart: UInt64) {
        self.buffer = buffer
        self.startIndex = buffer.readerIndex
        self.walStart = walStart
    }

    /// The offset of the next byte inside the message.
    var offset: Int { self.buffer.readerIndex - self.startIndex }

    func error(
        _ code: PGOutputDecodingError.Code,
        _ detail: String,
        at offset: Int? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> PGOutputDecodingError {
        var whole = self.buffer
        whole.moveReaderIndex(to: self.startIndex)
        let length = min(whole.readableBytes, PGOutputDecodingError.maximumRawBytes)
        return PGOutputDecodingError(
            code,
            detail,
            tag: self.tag,
            offset: offset ?? self.offset,
            relationID: self.relationID,
            walStart: self.walStart,
            rawBytes: whole.readBytes(length: length) ?? [],
            file: file,
            line: line
        )
    }

    private func truncated(_ field: StaticString, needs count: Int) -> PGOutputDecodingError {
        self.error(.truncated, "\(field) needs \(count) bytes, \(self.buffer.readableBytes) left")
    }

    mutating func readInteger<Integer: FixedWidthInteger>(
        _ field: StaticString,
        as: Integer.Type = Integer.self
    ) throws(PGOutputDecodingError) -> Integer {
        guard let value = self.buffer.readInteger(endianness: .big, as: Integer.self) else {
            throw self.truncated(field, needs: MemoryLayout<Integer>.size)
        }
        return value
    }

    mutating func readString(_ field: StaticString) throws(PGOutputDecodingError) -> String {
        guard let value = self.buffer.readNullTerminatedString() else {
            throw self.error(
                .truncated,
                "\(field) has no terminating NUL in the \(self.buffer.readableBytes) bytes left"
            )
        }
        return value
    }

    /// Reads an Int32 length followed by that many bytes, as a slice of the message.
    mutating func readLengthPrefixedSlice(_ field: StaticString) throws(PGOutputDecodingError) -> ByteBuffer {
        let lengthOffset = self.offset
        let length: Int32 = try self.readInteger(field)
        guard length >= 0 else {
            throw self.error(.invalidValue, "\(field) has a negative length \(length)", at: lengthOffset)
        }
        guard let slice = self.buffer.readSlice(length: Int(length)) else {
            throw self.truncated(field, needs: Int(length))
        }
        return slice
    }

    /// Reads a tuple: Int16 column count, then per column a kind byte and, for `t`/`b`, an Int32 length and bytes.
    mutating func readTuple(expectedColumns: Int) throws(PGOutputDecodingError) -> TupleData {
        let countOffset = self.offset
        let count: Int16 = try self.readInteger("tuple column count")
        guard Int(count) == expectedColumns else {
            throw self.error(
                .columnCountMismatch,
                "the tuple has \(count) columns, the relation's last Relation message \(expectedColumns)",
                at: countOffset
            )
        }
        var storage = self.buffer
        let tupleStart = self.buffer.readerIndex
        var entries: [TupleData.Entry] = []
        entries.reserveCapacity(expectedColumns)
        for _ in 0..<expectedColumns {
            let kindOffset = self.offset
            let kind: UInt8 = try self.readInteger("tuple column kind")
            switch kind {
            case TupleData.kindNull, TupleData.kindUnchangedToast:
                entries.append(TupleData.Entry(kind: kind, offset: 0, length: 0))
            case TupleData.kindText, TupleData.kindBinary:
                let lengthOffset = self.offset
                let length: Int32 = try self.readInteger("column value length")
                guard length >= 0 else {
                    throw self.error(.invalidValue, "column value length \(length) is negative", at: lengthOffset)
                }
                let valueStart = self.buffer.readerIndex
                guard self.buffer.readableBytes >= Int(length) else {
                    throw self.truncated("column value", needs: Int(length))
                }
                self.buffer.moveReaderIndex(forwardBy: Int(length))
                entries.append(
                    TupleData.Entry(
                        kind: kind,
                        offset: UInt32(truncatingIfNeeded: valueStart - tupleStart),
                        length: UInt32(truncatingIfNeeded: length)
                    )
                )
            default:
                throw self.error(.unknownTupleKind, "column kind \(kind) is not n, u, t or b", at: kindOffset)
            }
        }
        // `storage` still starts at the first column, so this slice covers exactly the tuple's columns.
        guard let slice = storage.readSlice(length: self.buffer.readerIndex - tupleStart) else {
            preconditionFailure("the tuple was read from the same bytes")
        }
        return TupleData(storage: slice, entries: entries)
    }

    func requireEnd() throws(PGOutputDecodingError) {
        guard self.buffer.readableBytes == 0 else {
            throw self.error(.trailingBytes, "\(self.buffer.readableBytes) bytes follow the last field")
        }
    }

    var readableBytes: Int { self.buffer.readableBytes }
}
