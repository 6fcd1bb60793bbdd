/// What the connection's channel hands up: a protocol message, or — while streaming — a replication message.
enum InboundMessage: Sendable {
    case backend(BackendMessage)
    case replication(ReplicationMessage)
    /// Our own side asked the stream to stop (``ReplicationFeedback/requestStop()``).
    case stopRequested
}
