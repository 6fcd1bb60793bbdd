/// What the connection's channel hands up: a protocol message, or — while streaming — replication messages.
enum InboundMessage: Sendable {
    case backend(BackendMessage)
    /// Replication messages in the order received, never empty. They are handed up in batches (what one read of
    /// the socket brought, at most ``ReplicationStreamHandler/maxBatchSize``) so that the channel pipeline and
    /// the async hop to the consumer are paid per batch, not per message.
    case replication([ReplicationMessage])
    /// Our own side asked the stream to stop (``ReplicationFeedback/requestStop()``).
    case stopRequested
}
