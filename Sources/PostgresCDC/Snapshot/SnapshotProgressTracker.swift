/// Counts rows and pages per table and turns them into ``SnapshotProgress`` reports. Used by the one task
/// that delivers snapshot events; reads the clock only through `now` arguments.
struct SnapshotProgressTracker {
    private struct TableState {
        var name: String
        var estimatedRows: Int?
        var totalPages: Int
        var chunks: Int
        var chunksFinished = 0
        var pagesFinished = 0
        var rows = 0
        var started: ContinuousClock.Instant?
        var lastReport: ContinuousClock.Instant?
    }

    private var tables: [TableState]
    private(set) var totalRows = 0
    private(set) var tablesCompleted = 0
    let interval: Duration

    /// Creates a tracker for a plan.
    init(plan: SnapshotPlan, interval: Duration) {
        var chunks = [Int](repeating: 0, count: plan.tables.count)
        for chunk in plan.chunks { chunks[chunk.tableIndex] += 1 }
        self.tables = plan.tables.enumerated().map { index, table in
            TableState(
                name: table.schema.qualifiedName,
                estimatedRows: table.estimatedRows,
                totalPages: table.totalPages,
                chunks: chunks[index]
            )
        }
        self.interval = interval
    }

    /// A chunk of the table began.
    mutating func chunkStarted(_ table: Int, now: ContinuousClock.Instant) {
        if self.tables[table].started == nil {
            self.tables[table].started = now
            self.tables[table].lastReport = now
        }
    }

    /// Rows of the table were delivered.
    /// - Returns: a report when one is due.
    mutating func rowsDelivered(_ count: Int, table: Int, now: ContinuousClock.Instant) -> SnapshotProgress? {
        self.tables[table].rows += count
        self.totalRows += count
        guard let last = self.tables[table].lastReport, last.duration(to: now) >= self.interval else { return nil }
        self.tables[table].lastReport = now
        return self.report(table, now: now)
    }

    /// A chunk of the table finished.
    /// - Returns: a report when the table is now complete.
    mutating func chunkFinished(_ table: Int, pages: Int, now: ContinuousClock.Instant) -> SnapshotProgress? {
        self.tables[table].chunksFinished += 1
        self.tables[table].pagesFinished += pages
        guard self.tables[table].chunksFinished == self.tables[table].chunks else { return nil }
        self.tablesCompleted += 1
        return self.report(table, now: now)
    }

    /// The progress of one table now.
    func report(_ table: Int, now: ContinuousClock.Instant) -> SnapshotProgress {
        let state = self.tables[table]
        let complete = state.chunksFinished == state.chunks
        let fraction: Double
        if complete {
            fraction = 1
        } else if state.totalPages > 0 {
            fraction = min(1, Double(state.pagesFinished) / Double(state.totalPages))
        } else {
            fraction = state.chunks == 0 ? 1 : Double(state.chunksFinished) / Double(state.chunks)
        }
        let elapsed = state.started.map { $0.duration(to: now) } ?? .zero
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(state.rows) / seconds : 0
        var remaining: Duration?
        if complete {
            remaining = .zero
        } else if fraction > 0 {
            remaining = .seconds(seconds * (1 - fraction) / fraction)
        } else if let estimate = state.estimatedRows, rate > 0, estimate > state.rows {
            remaining = .seconds(Double(estimate - state.rows) / rate)
        }
        return SnapshotProgress(
            table: state.name,
            rowsRead: state.rows,
            estimatedRows: state.estimatedRows,
            fractionComplete: fraction,
            elapsed: elapsed,
            rowsPerSecond: rate,
            estimatedTimeRemaining: remaining,
            isTableComplete: complete,
            tablesCompleted: self.tablesCompleted,
            tableCount: self.tables.count,
            totalRowsRead: self.totalRows
        )
    }
}
