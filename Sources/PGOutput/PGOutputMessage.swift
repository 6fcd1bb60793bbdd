/// One decoded `pgoutput` logical replication message (the payload of one XLogData).
///
/// The associated structs are nested in this type and named after PostgreSQL's "Logical Replication Message
/// Formats". LSNs are `UInt64`; timestamps are microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch).
public enum PGOutputMessage: Sendable, Hashable {
    /// `B`: a transaction starts.
    case begin(Begin)
    /// `C`: the transaction commits.
    case commit(Commit)
    /// `O`: the transaction came from a replication origin.
    case origin(Origin)
    /// `R`: the layout of a relation, sent before its first row change and after every schema change.
    case relation(Relation)
    /// `Y`: a non built-in type used by a relation's column.
    case type(TypeInfo)
    /// `I`: a row was inserted.
    case insert(Insert)
    /// `U`: a row was updated.
    case update(Update)
    /// `D`: a row was deleted.
    case delete(Delete)
    /// `T`: relations were truncated.
    case truncate(Truncate)
    /// `M`: a logical decoding message (`pg_logical_emit_message`).
    case message(LogicalMessage)
    /// `S` (v2+): a block of a streamed, still running transaction starts.
    case streamStart(StreamStart)
    /// `E` (v2+): the current stream block ends.
    case streamStop
    /// `c` (v2+): a streamed transaction commits.
    case streamCommit(StreamCommit)
    /// `A` (v2+): a streamed transaction or subtransaction aborts.
    case streamAbort(StreamAbort)
    /// `b` (v3+): a prepared transaction starts.
    case beginPrepare(BeginPrepare)
    /// `P` (v3+): the transaction was prepared (`PREPARE TRANSACTION`).
    case prepare(Prepare)
    /// `K` (v3+): a prepared transaction commits (`COMMIT PREPARED`).
    case commitPrepared(CommitPrepared)
    /// `r` (v3+): a prepared transaction is rolled back (`ROLLBACK PREPARED`).
    case rollbackPrepared(RollbackPrepared)
    /// `p` (v3+): a streamed transaction was prepared.
    case streamPrepare(StreamPrepare)
}
