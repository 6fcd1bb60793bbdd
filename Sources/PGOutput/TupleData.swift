import NIOCore

/// The column values of one row in a `pgoutput` Insert, Update or Delete message, in the column order of the
/// relation's last Relation message.
///
/// It keeps one slice of the message and one array of small fixed-size entries (kind, offset, length), so decoding a
/// row costs one array allocation whatever the number of columns; each ``TupleValue`` is a slice made on access.
public struct TupleData: Sendable, Hashable, RandomAccessCollection {
    /// Where one column's bytes are inside ``storage``.
    struct Entry: Sendable, Hashable {
        var kind: UInt8
        var offset: UInt32
        var length: UInt32
    }

    static let kindNull = UInt8(ascii: "n")
    static let kindUnchangedToast = UInt8(ascii: "u")
    static let kindText = UInt8(ascii: "t")
    static let kindBinary = UInt8(ascii: "b")

    private var storage: ByteBuffer
    private var entries: [Entry]

    init(storage: ByteBuffer, entries: [Entry]) {
        self.storage = storage
        self.entries = entries
    }

    /// Creates tuple data from values, for example to build expected data in tests.
    /// - Parameter values: the column values in column order.
    public init(_ values: some Sequence<TupleValue>) {
        var storage = ByteBuffer()
        var entries: [Entry] = []
        for value in values {
            switch value {
            case .null:
                entries.append(Entry(kind: Self.kindNull, offset: 0, length: 0))
            case .unchangedToast:
                entries.append(Entry(kind: Self.kindUnchangedToast, offset: 0, length: 0))
            case .text(var bytes), .binary(var bytes):
                let kind = if case .text = value { Self.kindText } else { Self.kindBinary }
                let offset = UInt32(truncatingIfNeeded: storage.writerIndex)
                let length = UInt32(truncatingIfNeeded: storage.writeBuffer(&bytes))
                entries.append(Entry(kind: kind, offset: offset, length: length))
            }
        }
        self.init(storage: storage, entries: entries)
    }

    /// The index of the first column: 0.
    public var startIndex: Int { 0 }

    /// The number of columns.
    public var endIndex: Int { self.entries.count }

    /// The value of the column at `position`.
    /// - Parameter position: the column index, from 0.
    /// - Returns: the value; text and binary values are slices of the received message.
    public subscript(position: Int) -> TupleValue {
        let entry = self.entries[position]
        switch entry.kind {
        case Self.kindText:
            return .text(self.slice(entry))
        case Self.kindBinary:
            return .binary(self.slice(entry))
        case Self.kindUnchangedToast:
            return .unchangedToast
        case Self.kindNull:
            return .null
        default:
            preconditionFailure("TupleData entries are made only by the decoder or init(_:), with known kinds")
        }
    }

    private func slice(_ entry: Entry) -> ByteBuffer {
        // The decoder made every entry from bytes inside `storage`, so the range is always valid.
        self.storage.getSlice(
            at: self.storage.readerIndex + Int(entry.offset),
            length: Int(entry.length)
        ) ?? ByteBuffer()
    }

    public static func == (lhs: TupleData, rhs: TupleData) -> Bool {
        lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.count)
        for value in self {
            hasher.combine(value)
        }
    }
}
