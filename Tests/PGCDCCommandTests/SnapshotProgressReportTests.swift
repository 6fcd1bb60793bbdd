import PostgresCDC
import Testing

@testable import PGCDCCommand

/// The snapshot progress line on stderr.
@Suite("pgcdc stream: snapshot progress on stderr")
struct SnapshotProgressReportTests {
    private func progress(fraction: Double, rows: Int, remaining: Duration?, complete: Bool = false) -> SnapshotProgress
    {
        SnapshotProgress(
            table: "public.orders",
            rowsRead: rows,
            estimatedRows: 2000,
            fractionComplete: fraction,
            elapsed: .seconds(75),
            rowsPerSecond: 600.4,
            estimatedTimeRemaining: remaining,
            isTableComplete: complete,
            tablesCompleted: complete ? 1 : 0,
            tableCount: 3,
            totalRowsRead: rows
        )
    }

    @Test("on a terminal: a bar, percent, rows, rows/s and ETA")
    func bar() {
        let line = SnapshotProgressReport.line(
            self.progress(fraction: 0.5, rows: 1000, remaining: .seconds(125)),
            bar: true
        )
        #expect(
            line
                == "snapshot public.orders [##########----------] 50% 1000 rows, 600 rows/s, ETA 2:05 (0 of 3 tables done)"
        )
    }

    @Test("otherwise: the same without the bar; a finished table says how long it took")
    func plain() {
        let running = SnapshotProgressReport.line(self.progress(fraction: 0.25, rows: 500, remaining: nil), bar: false)
        #expect(running == "snapshot public.orders 25% 500 rows, 600 rows/s, ETA unknown (0 of 3 tables done)")
        let done = SnapshotProgressReport.line(
            self.progress(fraction: 0.99, rows: 2000, remaining: .zero, complete: true),
            bar: false
        )
        #expect(done == "snapshot public.orders 100% 2000 rows, 600 rows/s, done in 1:15 (1 of 3 tables done)")
    }

    @Test("durations: m:ss below an hour, h:mm:ss from an hour on")
    func clock() {
        #expect(SnapshotProgressReport.clock(.seconds(9)) == "0:09")
        #expect(SnapshotProgressReport.clock(.seconds(3 * 3600 + 7 * 60 + 5)) == "3:07:05")
    }
}
