public import NIOCore

/// A message of the CopyBoth stream of `START_REPLICATION`, sent by the server.
public enum ReplicationMessage: Sendable, Equatable {
    /// `w`: WAL data; for logical replication one pgoutput message.
    case xlogData(XLogData)
    /// `k`: the server's keepalive.
    case keepalive(PrimaryKeepalive)
    /// Not from the server: ``ReplicationFeedback/requestStop()`` was called. The stream is still open; end it
    /// with ``ReplicationStream/stop()`` (for example once the current transaction is complete).
    case stopRequested
}

/// `w` (XLogData): one piece of the replication stream.
public struct XLogData: Sendable, Equatable {
    /// The WAL position this data starts at.
    public var walStart: LSN
    /// The server's current end of WAL.
    public var walEnd: LSN
    /// The server's clock when it sent this (microseconds since 2000-01-01 UTC).
    public var sendTime: Int64
    /// The payload: a slice of the received bytes, not a copy.
    public var data: ByteBuffer

    /// Creates XLogData.
    public init(walStart: LSN, walEnd: LSN, sendTime: Int64, data: ByteBuffer) {
        self.walStart = walStart
        self.walEnd = walEnd
        self.sendTime = sendTime
        self.data = data
    }
}

/// `k` (Primary keepalive).
public struct PrimaryKeepalive: Sendable, Hashable {
    /// The server's current end of WAL (for a logical walsender: what it has decoded and sent up to).
    public var walEnd: LSN
    /// The server's clock (microseconds since 2000-01-01 UTC).
    public var sendTime: Int64
    /// True when the server wants a status update at once (it is about to hit `wal_sender_timeout`).
    public var replyRequested: Bool

    /// Creates a keepalive.
    public init(walEnd: LSN, sendTime: Int64, replyRequested: Bool) {
        self.walEnd = walEnd
        self.sendTime = sendTime
        self.replyRequested = replyRequested
    }
}

/// `r` (Standby status update): what we report back.
public struct StandbyStatusUpdate: Sendable, Hashable {
    /// The last WAL position received.
    public var written: LSN
    /// The position up to which the consumer has made the data durable: the slot's `confirmed_flush_lsn`.
    public var flushed: LSN
    /// The position applied (we report the flushed one).
    public var applied: LSN
    /// Our clock (microseconds since 2000-01-01 UTC).
    public var clientTime: Int64
    /// Ask the server to reply at once.
    public var replyRequested: Bool

    /// Creates a status update.
    public init(written: LSN, flushed: LSN, applied: LSN, clientTime: Int64, replyRequested: Bool = false) {
        self.written = written
        self.flushed = flushed
        self.applied = applied
        self.clientTime = clientTime
        self.replyRequested = replyRequested
    }
}

extension ReplicationMessage {
    /// Decodes the payload of one CopyData message of the replication stream.
    /// - Parameter body: the CopyData payload.
    /// - Throws: ``MessageDecodingError`` for an unknown sub-tag or a truncated header.
    static func decode(_ body: ByteBuffer) throws(MessageDecodingError) -> ReplicationMessage {
        var body = body
        let original = body
        guard let tag = body.readInteger(as: UInt8.self) else {
            throw MessageDecodingError(tag: UInt8(ascii: "d"), offset: 0, reason: "empty CopyData", bytes: original)
        }
        switch tag {
        case UInt8(ascii: "w"):
            guard let (start, end, time) = body.readMultipleIntegers(endianness: .big, as: (UInt64, UInt64, Int64).self)
            else {
                throw MessageDecodingError(tag: tag, offset: 1, reason: "truncated XLogData header", bytes: original)
            }
            return .xlogData(XLogData(walStart: LSN(start), walEnd: LSN(end), sendTime: time, data: body))
        case UInt8(ascii: "k"):
            guard let (end, time, reply) = body.readMultipleIntegers(endianness: .big, as: (UInt64, Int64, UInt8).self),
                body.readableBytes == 0
            else {
                throw MessageDecodingError(tag: tag, offset: 1, reason: "keepalive is not 17 bytes", bytes: original)
            }
            return .keepalive(PrimaryKeepalive(walEnd: LSN(end), sendTime: time, replyRequested: reply != 0))
        default:
            throw MessageDecodingError(tag: tag, offset: 0, reason: "unknown replication message", bytes: original)
        }
    }
}

extension StandbyStatusUpdate {
    /// The CopyData payload: `r`, three positions, the clock, the reply flag.
    func encoded(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 34)
        buffer.writeInteger(UInt8(ascii: "r"))
        buffer.writeMultipleIntegers(
            self.written.value,
            self.flushed.value,
            self.applied.value,
            self.clientTime,
            UInt8(self.replyRequested ? 1 : 0),
            endianness: .big
        )
        return buffer
    }
}

/// Microseconds between 1970-01-01 and 2000-01-01, PostgreSQL's epoch.
let postgresEpochOffsetMicroseconds: Int64 = 946_684_800_000_000
