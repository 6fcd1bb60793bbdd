/// Where a consumer persists its ``Checkpoint``.
///
/// ``FileCheckpointStore`` is the default; implement this protocol to keep checkpoints elsewhere (a database of
/// the consumer's own, a key-value store), ideally in the same transaction as the consumer's own output.
///
/// - Important: ``save(_:)`` must be durable when it returns: a checkpoint that is lost after a crash makes the
///   consumer resume from an older position (duplicates); one that claims more than was processed loses data.
public protocol CheckpointStore: Sendable {
    /// Reads the last saved checkpoint.
    /// - Returns: the checkpoint, or `nil` when none was ever saved.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/checkpoint`` when it cannot be read.
    func load() async throws -> Checkpoint?

    /// Replaces the saved checkpoint, durably.
    /// - Parameter checkpoint: the new checkpoint.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/checkpoint`` when it cannot be written.
    func save(_ checkpoint: Checkpoint) async throws
}
