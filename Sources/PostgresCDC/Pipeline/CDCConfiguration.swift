import Foundation
public import PGOutput
public import PostgresWire

/// What to stream and how. Every property but the connection has a working default.
public struct CDCConfiguration: Sendable {
    /// How acknowledgements are made.
    public enum AcknowledgementMode: String, Sendable, Hashable, CaseIterable {
        /// A transaction is acknowledged when the handler's `commit` callback returns (the seed's behaviour).
        case afterCommitHandler = "after-commit"
        /// The consumer calls ``Acknowledgement/acknowledge()`` itself, for example once a batch reached its sink.
        case explicit
    }

    /// Which origins to stream (`origin` option, PostgreSQL 16+).
    public enum OriginFilter: String, Sendable, Hashable {
        /// Every change.
        case any
        /// Only changes that did not come from another replication (`origin 'none'`).
        case none
    }

    /// What to do when the slot is missing although this consumer streamed from it before (after a failover
    /// to a standby that did not have the slot).
    public enum MissingSlotPolicy: String, Sendable, Hashable, CaseIterable {
        /// Recover the missed changes from the log tables when they are installed (`pgcdc failover install`),
        /// else stop with an explanation: creating a new slot would silently lose every change committed since
        /// the last acknowledged transaction.
        case fail
        /// Create a new slot and copy the published tables again (the initial snapshot), when no log tables
        /// can fill the gap.
        case resnapshot
    }

    /// When the stream breaks: wait and reconnect (to any fitting host), resuming after the last acknowledged
    /// transaction.
    public struct ReconnectPolicy: Sendable, Hashable {
        /// The first wait.
        public var initialDelay: Duration = .milliseconds(200)
        /// The longest wait.
        public var maximumDelay: Duration = .seconds(15)
        /// How many reconnects in a row before giving up (`nil`: forever).
        public var maximumAttempts: Int? = nil
        /// Creates the default policy.
        public init() {}
        /// Never reconnect.
        public static var never: ReconnectPolicy {
            var policy = ReconnectPolicy()
            policy.maximumAttempts = 0
            return policy
        }
    }

    /// Where to connect (the walsender connection targets a primary: `target_session_attrs=read-write` is
    /// applied unless the connection string says otherwise).
    public var connection: ConnectionSettings
    /// The replication slot.
    public var slot: String = "test_slot"
    /// The publications to stream.
    public var publications: [String] = ["test_publication"]
    /// Where to start; `0/0` means where the slot stands (or the last acknowledged position after a reconnect).
    public var startLSN: LSN = .zero
    /// Stop once the stream has passed this position (like pg_recvlogical's `--endpos`).
    public var endLSN: LSN? = nil
    /// The pgoutput protocol version; `nil` means the highest the server supports.
    public var protocolVersion: PGOutputProtocolVersion? = nil
    /// Stream large transactions while they run (protocol 2+): changes may then be rolled back.
    public var streaming: Bool = false
    /// Binary tuple values (PostgreSQL 14+): cheaper to type, equal values.
    public var binary: Bool = false
    /// Include logical decoding messages (`pg_logical_emit_message`, PostgreSQL 14+).
    public var messages: Bool = false
    /// Two-phase decoding: prepared transactions are delivered at PREPARE (PostgreSQL 15+; the slot must be
    /// created with it).
    public var twoPhase: Bool = false
    /// Which origins to stream.
    public var origin: OriginFilter = .any
    /// Create the slot when it does not exist.
    public var createSlot: Bool = true
    /// Create the slot as temporary (dropped when the connection ends).
    public var temporarySlot: Bool = false
    /// Create the slot as a failover slot (PostgreSQL 17+), synchronized to standbys.
    public var failoverSlot: Bool = false
    /// How acknowledgements are made.
    public var acknowledgement: AcknowledgementMode = .afterCommitHandler
    /// Let an idle slot follow the server's WAL: when everything delivered is acknowledged, a keepalive's
    /// position is acknowledged too, so idle slots never pin WAL.
    public var advanceOnKeepalive: Bool = true
    /// Emit `pg_logical_emit_message(false, 'pgcdc.heartbeat', '')` this often, so that the slot advances even
    /// when the server writes no WAL at all (`nil`: never).
    public var heartbeatInterval: Duration? = nil
    /// Where the last acknowledged commit is persisted (before the server hears of it). With it, a restart
    /// resumes exactly after that commit, a different database is refused, and a failover can be recovered.
    public var checkpointStore: (any CheckpointStore)? = nil
    /// What to do when the slot vanished (failover to a server without it).
    public var onMissingSlot: MissingSlotPolicy = .fail
    /// The schema of the failover log tables (`pgcdc failover install`); used when they are installed.
    public var logTables: LogTables = LogTables()
    /// Reconnect behaviour.
    public var reconnect: ReconnectPolicy = ReconnectPolicy()
    /// The walsender connection's settings (status interval, buffers).
    public var replication: ReplicationConnection.Configuration = ReplicationConnection.Configuration()
    /// Whether a slot the pipeline creates gets its existing rows copied first (the initial snapshot).
    /// See `docs/snapshot.md`.
    public var snapshot: SnapshotMode = .initial
    /// How many SQL connections read the snapshot in parallel (each imports the same exported snapshot).
    /// Default: the number of processor cores, at most 4.
    public var snapshotWorkers: Int = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// How many heap pages (8 kB each by default) one snapshot query reads at most; smaller chunks spread a
    /// large table over the workers more evenly. Default: 4096 (32 MB).
    public var snapshotChunkPages: Int = 4096
    /// Called while the snapshot runs, at most once per ``snapshotProgressInterval`` and once when each table
    /// completes (on the task that delivers events; keep it quick).
    public var snapshotProgress: (@Sendable (SnapshotProgress) -> Void)? = nil
    /// How often ``snapshotProgress`` is called while a table is being copied. Default: 1 s.
    public var snapshotProgressInterval: Duration = .seconds(1)

    /// Creates a configuration.
    /// - Parameters:
    ///   - connection: where to connect.
    ///   - slot: the slot name.
    ///   - publications: the publications.
    public init(
        connection: ConnectionSettings,
        slot: String = "test_slot",
        publications: [String] = ["test_publication"]
    ) {
        self.connection = connection
        self.slot = slot
        self.publications = publications
    }

    /// The pgoutput options for `START_REPLICATION`.
    func pluginOptions(version: PGOutputProtocolVersion, serverMajorVersion: Int) -> [(String, String)] {
        var options: [(String, String)] = [
            ("proto_version", String(version.rawValue)),
            ("publication_names", ReplicationCommandQuoting.publicationNames(self.publications)),
        ]
        if self.binary && serverMajorVersion >= 14 { options.append(("binary", "true")) }
        if self.messages && serverMajorVersion >= 14 { options.append(("messages", "true")) }
        if self.streaming && version >= .v2 {
            options.append(("streaming", serverMajorVersion >= 16 && version >= .v4 ? "on" : "true"))
        }
        if self.twoPhase && version >= .v3 { options.append(("two_phase", "true")) }
        if self.origin == .none && serverMajorVersion >= 16 { options.append(("origin", "none")) }
        return options
    }
}
