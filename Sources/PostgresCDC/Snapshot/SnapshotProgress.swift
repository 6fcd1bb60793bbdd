/// How far the initial snapshot has got, for one table and overall. Reported through
/// ``CDCConfiguration/snapshotProgress``.
public struct SnapshotProgress: Sendable, Hashable {
    /// The table, as `schema.name` (quoted where needed).
    public var table: String
    /// Rows of this table delivered so far.
    public var rowsRead: Int
    /// The planner's estimate of the table's rows (`pg_class.reltuples`), `nil` when the table was never
    /// analyzed.
    public var estimatedRows: Int?
    /// The share of the table's pages read so far, from 0 to 1.
    public var fractionComplete: Double
    /// Time since this table's copy began.
    public var elapsed: Duration
    /// Rows per second for this table so far.
    public var rowsPerSecond: Double
    /// The expected time until this table is done, `nil` before anything was read.
    public var estimatedTimeRemaining: Duration?
    /// Whether this table is fully copied.
    public var isTableComplete: Bool
    /// Tables fully copied so far.
    public var tablesCompleted: Int
    /// Tables in the snapshot.
    public var tableCount: Int
    /// Rows delivered so far, over all tables.
    public var totalRowsRead: Int

    /// Creates a progress report.
    /// - Parameters:
    ///   - table: the table.
    ///   - rowsRead: rows of the table delivered.
    ///   - estimatedRows: the planner's row estimate.
    ///   - fractionComplete: the share of pages read.
    ///   - elapsed: time since the table's copy began.
    ///   - rowsPerSecond: the table's rate.
    ///   - estimatedTimeRemaining: the expected remaining time.
    ///   - isTableComplete: whether the table is done.
    ///   - tablesCompleted: tables done.
    ///   - tableCount: tables in the snapshot.
    ///   - totalRowsRead: rows delivered over all tables.
    public init(
        table: String,
        rowsRead: Int,
        estimatedRows: Int?,
        fractionComplete: Double,
        elapsed: Duration,
        rowsPerSecond: Double,
        estimatedTimeRemaining: Duration?,
        isTableComplete: Bool,
        tablesCompleted: Int,
        tableCount: Int,
        totalRowsRead: Int
    ) {
        self.table = table
        self.rowsRead = rowsRead
        self.estimatedRows = estimatedRows
        self.fractionComplete = fractionComplete
        self.elapsed = elapsed
        self.rowsPerSecond = rowsPerSecond
        self.estimatedTimeRemaining = estimatedTimeRemaining
        self.isTableComplete = isTableComplete
        self.tablesCompleted = tablesCompleted
        self.tableCount = tableCount
        self.totalRowsRead = totalRowsRead
    }
}
