extension PGOutputMessage {
    /// `S`: a block of a streamed transaction starts; until Stream Stop, row, relation, type and message messages
    /// carry this ``xid``.
    public struct StreamStart: Sendable, Hashable {
        /// The streamed transaction's id.
        public var xid: UInt32
        /// Whether this is the first block of the transaction.
        public var isFirstSegment: Bool

        /// Creates a Stream Start message.
        /// - Parameters:
        ///   - xid: the transaction id.
        ///   - isFirstSegment: whether this is the transaction's first block.
        public init(xid: UInt32, isFirstSegment: Bool) {
            self.xid = xid
            self.isFirstSegment = isFirstSegment
        }
    }

    /// `c`: a streamed transaction commits.
    public struct StreamCommit: Sendable, Hashable {
        /// The transaction id.
        public var xid: UInt32
        /// Flags; currently unused (0).
        public var flags: UInt8
        /// The LSN of the commit record.
        public var commitLSN: UInt64
        /// The end LSN of the transaction: acknowledge this one.
        public var endLSN: UInt64
        /// The commit time, in microseconds since 2000-01-01 UTC.
        public var commitTimestamp: Int64

        /// Creates a Stream Commit message.
        /// - Parameters:
        ///   - xid: the transaction id.
        ///   - flags: the flags byte.
        ///   - commitLSN: the LSN of the commit record.
        ///   - endLSN: the end LSN of the transaction.
        ///   - commitTimestamp: the commit time, µs since 2000-01-01.
        public init(xid: UInt32, flags: UInt8, commitLSN: UInt64, endLSN: UInt64, commitTimestamp: Int64) {
            self.xid = xid
            self.flags = flags
            self.commitLSN = commitLSN
            self.endLSN = endLSN
            self.commitTimestamp = commitTimestamp
        }
    }

    /// `A`: a streamed transaction, or one of its subtransactions, aborts: drop what its blocks delivered.
    public struct StreamAbort: Sendable, Hashable {
        /// The top-level transaction id.
        public var xid: UInt32
        /// The aborted subtransaction's id; equal to ``xid`` when the whole transaction aborts.
        public var subxid: UInt32
        /// The LSN of the abort record: only with protocol version 4 and `streaming 'parallel'`.
        public var abortLSN: UInt64?
        /// The abort time in microseconds since 2000-01-01 UTC: only with protocol version 4 and
        /// `streaming 'parallel'`.
        public var abortTimestamp: Int64?

        /// Whether the whole transaction aborts (not only a subtransaction).
        public var abortsTopLevelTransaction: Bool { self.xid == self.subxid }

        /// Creates a Stream Abort message.
        /// - Parameters:
        ///   - xid: the top-level transaction id.
        ///   - subxid: the aborted subtransaction id.
        ///   - abortLSN: the abort LSN (v4, parallel streaming).
        ///   - abortTimestamp: the abort time (v4, parallel streaming).
        public init(xid: UInt32, subxid: UInt32, abortLSN: UInt64? = nil, abortTimestamp: Int64? = nil) {
            self.xid = xid
            self.subxid = subxid
            self.abortLSN = abortLSN
            self.abortTimestamp = abortTimestamp
        }
    }
}
