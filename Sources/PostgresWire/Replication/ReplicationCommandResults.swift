/// The answer to `IDENTIFY_SYSTEM`.
public struct SystemIdentification: Sendable, Hashable, Codable {
    /// The cluster's unique system identifier (the same on a primary and its physical standbys).
    public var systemID: String
    /// The current timeline.
    public var timeline: UInt32
    /// The current WAL flush position.
    public var xlogPosition: LSN
    /// The database connected to.
    public var database: String?

    /// Creates an identification.
    public init(systemID: String, timeline: UInt32, xlogPosition: LSN, database: String?) {
        self.systemID = systemID
        self.timeline = timeline
        self.xlogPosition = xlogPosition
        self.database = database
    }
}

/// What to do with the snapshot a new logical slot exports.
public enum SlotSnapshotAction: String, Sendable, Hashable {
    /// Export it: other sessions can `SET TRANSACTION SNAPSHOT` to it until this connection runs another
    /// command (the initial copy reads existing rows in it).
    case export
    /// Use it in this session's current transaction (the connection must be inside `BEGIN ISOLATION LEVEL
    /// REPEATABLE READ`).
    case use
    /// Neither.
    case nothing
}

/// The answer to `CREATE_REPLICATION_SLOT`.
public struct CreatedReplicationSlot: Sendable, Hashable {
    /// The slot's name.
    public var name: String
    /// The position from which the slot streams: every transaction committing after it.
    public var consistentPoint: LSN
    /// The exported snapshot's name (for `SET TRANSACTION SNAPSHOT`), when one was exported.
    public var snapshotName: String?
    /// The output plugin.
    public var outputPlugin: String?

    /// Creates a result.
    public init(name: String, consistentPoint: LSN, snapshotName: String?, outputPlugin: String?) {
        self.name = name
        self.consistentPoint = consistentPoint
        self.snapshotName = snapshotName
        self.outputPlugin = outputPlugin
    }
}

/// One line of a timeline history file: timeline `timeline` ended at `switchpoint`, where the next began.
public struct TimelineHistoryEntry: Sendable, Hashable {
    /// The parent timeline.
    public var timeline: UInt32
    /// The WAL position where the parent timeline ended and the child timeline forked.
    public var switchpoint: LSN
    /// Why (free text, for example `no recovery target specified`).
    public var reason: String

    /// Creates an entry.
    public init(timeline: UInt32, switchpoint: LSN, reason: String) {
        self.timeline = timeline
        self.switchpoint = switchpoint
        self.reason = reason
    }
}

/// The answer to `TIMELINE_HISTORY`.
public struct TimelineHistory: Sendable, Hashable {
    /// The history file's name, for example `00000002.history`.
    public var fileName: String
    /// Its entries, oldest first.
    public var entries: [TimelineHistoryEntry]

    /// Creates a history.
    public init(fileName: String, entries: [TimelineHistoryEntry]) {
        self.fileName = fileName
        self.entries = entries
    }

    /// Parses a history file: lines of `timeline<TAB>switchpoint<TAB>reason`; blank lines and `#` comments skipped.
    /// - Parameters:
    ///   - fileName: the file's name.
    ///   - content: its text.
    /// - Returns: `nil` when a line is malformed.
    public init?(fileName: String, content: String) {
        var entries: [TimelineHistoryEntry] = []
        for line in content.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, let timeline = UInt32(fields[0]), let lsn = LSN(fields[1]) else { return nil }
            entries.append(
                TimelineHistoryEntry(
                    timeline: timeline,
                    switchpoint: lsn,
                    reason: fields.count > 2 ? String(fields[2]) : ""
                )
            )
        }
        self.init(fileName: fileName, entries: entries)
    }

    /// Where `timeline` ended, i.e. the first position that is not part of it as seen by the newest timeline.
    /// - Parameter timeline: an ancestor timeline.
    /// - Returns: its switchpoint, or `nil` when the history does not list it (it is the newest).
    public func switchpoint(ofTimeline timeline: UInt32) -> LSN? {
        self.entries.first { $0.timeline == timeline }?.switchpoint
    }
}

/// The answer to `READ_REPLICATION_SLOT` (PostgreSQL 15+, physical slots).
public struct ReplicationSlotPosition: Sendable, Hashable {
    /// `physical` or `logical`.
    public var slotType: String
    /// The slot's restart position.
    public var restartLSN: LSN?
    /// The timeline of the restart position.
    public var restartTimeline: UInt32?

    /// Creates a result.
    public init(slotType: String, restartLSN: LSN?, restartTimeline: UInt32?) {
        self.slotType = slotType
        self.restartLSN = restartLSN
        self.restartTimeline = restartTimeline
    }
}
