public import Foundation
public import PostgresWire

/// What a consumer has durably processed: the last acknowledged transaction, and the server it came from.
///
/// Written after each acknowledgement (see ``CheckpointStore``); read at start and after a failover to resume
/// streaming after the last acknowledged commit, to know which log-table entries are still owed, and to refuse a
/// server that is not the database the checkpoint belongs to (``verify(systemID:)``).
public struct Checkpoint: Codable, Sendable, Hashable {
    /// The replication slot the consumer streams from.
    public var slot: String
    /// The server's system identifier (`IDENTIFY_SYSTEM`): the same on a primary and its physical standbys,
    /// different on any other cluster.
    public var systemID: String
    /// The timeline the acknowledged commit was streamed on (`IDENTIFY_SYSTEM`).
    public var timeline: UInt32
    /// The end LSN of the last acknowledged commit: streaming resumes here.
    public var lsn: LSN
    /// The transaction id (32 bits, as pgoutput reports it) of the last acknowledged transaction, when known.
    public var xid: UInt32?
    /// The commit time of the last acknowledged transaction, when known.
    public var commitTime: Date?
    /// When this checkpoint was written.
    public var updatedAt: Date

    /// Creates a checkpoint.
    /// - Parameters:
    ///   - slot: the replication slot.
    ///   - systemID: the server's system identifier.
    ///   - timeline: the timeline of the acknowledged commit.
    ///   - lsn: the end LSN of the last acknowledged commit.
    ///   - xid: the last acknowledged transaction's id.
    ///   - commitTime: its commit time.
    ///   - updatedAt: when the checkpoint is written (default: now).
    public init(
        slot: String,
        systemID: String,
        timeline: UInt32,
        lsn: LSN,
        xid: UInt32? = nil,
        commitTime: Date? = nil,
        updatedAt: Date = Date()
    ) {
        self.slot = slot
        self.systemID = systemID
        self.timeline = timeline
        self.lsn = lsn
        self.xid = xid
        self.commitTime = commitTime
        self.updatedAt = updatedAt
    }

    /// Checks that the server is the database this checkpoint was written for.
    ///
    /// A physical standby has its primary's system identifier, so a promoted standby passes; a restored dump, a
    /// new cluster or a wrong host does not, and resuming there would skip or invent changes.
    /// - Parameter systemID: the server's system identifier (`IDENTIFY_SYSTEM`).
    /// - Throws: ``CDCError`` with code ``CDCError/Code/wrongDatabase`` when the identifiers differ.
    public func verify(systemID: String) throws(CDCError) {
        guard systemID == self.systemID else {
            throw CDCError(
                .wrongDatabase,
                "the server's system identifier \(systemID) is not the checkpoint's \(self.systemID): it is a "
                    + "different database cluster; point the connection at the checkpoint's cluster or remove the "
                    + "checkpoint to start over",
                slot: self.slot,
                lsn: self.lsn
            )
        }
    }
}
