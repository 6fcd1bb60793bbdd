public import NIOCore

extension PGOutputMessage {
    /// `M`: a logical decoding message, written with `pg_logical_emit_message` (sent with the `messages` option).
    public struct LogicalMessage: Sendable, Hashable {
        /// Inside a stream block only: the xid of the (sub)transaction that made the change, which can be a
        /// subtransaction of the block's ``PGOutputDecoder/streamingXID``; `nil` outside a block.
        public var xid: UInt32?
        /// Whether the message is part of a transaction (flag bit 1); a non-transactional message is sent at once,
        /// outside any Begin/Commit, even when its transaction later rolls back.
        public var isTransactional: Bool
        /// The LSN of the message.
        public var lsn: UInt64
        /// The prefix given by the writer.
        public var prefix: String
        /// The content, a slice of the received message.
        public var content: ByteBuffer

        /// Creates a logical decoding message.
        /// - Parameters:
        ///   - xid: the streamed transaction's id, inside a stream block.
        ///   - isTransactional: whether the message is transactional.
        ///   - lsn: the LSN of the message.
        ///   - prefix: the prefix.
        ///   - content: the content.
        public init(xid: UInt32? = nil, isTransactional: Bool, lsn: UInt64, prefix: String, content: ByteBuffer) {
            self.xid = xid
            self.isTransactional = isTransactional
            self.lsn = lsn
            self.prefix = prefix
            self.content = content
        }
    }
}
