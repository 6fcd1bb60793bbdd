import Foundation
import Testing

@testable import PostgresCDC

@Suite struct SnapshotPlanTests {
    /// Chunks cover every page exactly once, in order, and the last one is open-ended.
    @Test(arguments: [(0, 4), (1, 4), (4, 4), (5, 4), (1000, 128), (1025, 128)])
    func chunksCoverEveryPageOnce(pages: Int, chunkPages: Int) {
        let scan = SnapshotTable.Scan(relation: "public.t", pages: pages)
        let chunks = SnapshotChunk.split(scan, tableIndex: 3, chunkPages: chunkPages, pageRanges: true)
        #expect(chunks.allSatisfy { $0.tableIndex == 3 && $0.relation == "public.t" })
        #expect(chunks.last?.endPage == nil)
        #expect(chunks.dropLast().allSatisfy { $0.endPage != nil })
        #expect(chunks.reduce(0) { $0 + $1.pages } == pages)
        var next = 0
        for chunk in chunks {
            #expect(chunk.firstPage == next)
            next = chunk.endPage ?? .max
        }
        #expect(chunks.allSatisfy { $0.pages <= chunkPages })
    }

    /// Without TID range scans a relation is read in one query with no ctid condition.
    @Test func oldServersReadARelationInOneQuery() {
        let scan = SnapshotTable.Scan(relation: "public.t", pages: 10_000)
        let chunks = SnapshotChunk.split(scan, tableIndex: 0, chunkPages: 128, pageRanges: false)
        #expect(chunks.count == 1)
        let table = SnapshotTable(
            schema: TableSchema(relationID: 1, namespace: "public", name: "t", replicaIdentity: .default, columns: []),
            selectList: ["\"id\""],
            textColumns: [false],
            rowFilter: "(id > 0)",
            scans: [scan],
            estimatedRows: nil
        )
        #expect(table.query(for: chunks[0]) == "SELECT \"id\" FROM ONLY public.t WHERE ((id > 0))")
        let ranged = SnapshotChunk.split(scan, tableIndex: 0, chunkPages: 128, pageRanges: true)
        #expect(
            table.query(for: ranged[1])
                == "SELECT \"id\" FROM ONLY public.t WHERE ctid >= '(128,0)'::tid AND ctid < '(256,0)'::tid AND ((id > 0))"
        )
    }

    /// The sentinel slot's name is a valid slot name of at most 63 characters, distinct per slot.
    @Test func sentinelNamesFitTheSlotNameLimit() {
        #expect(ChangeDataCapture.snapshotSentinelName(for: "orders") == "pgcdc_snap_orders")
        let long1 = String(repeating: "a", count: 63)
        let long2 = String(repeating: "a", count: 62) + "b"
        let name1 = ChangeDataCapture.snapshotSentinelName(for: long1)
        let name2 = ChangeDataCapture.snapshotSentinelName(for: long2)
        #expect(name1.count <= 63 && name2.count <= 63)
        #expect(name1 != name2)
        #expect(name1 == ChangeDataCapture.snapshotSentinelName(for: long1))
        #expect(name1.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" })
    }

    /// Progress: rows/s from the table's start, the fraction from pages, an ETA from the fraction, and one
    /// report when the table completes.
    @Test func progressReportsRateFractionAndCompletion() {
        let scans = [SnapshotTable.Scan(relation: "public.t", pages: 100)]
        let table = SnapshotTable(
            schema: TableSchema(relationID: 1, namespace: "public", name: "t", replicaIdentity: .default, columns: []),
            selectList: [],
            textColumns: [],
            rowFilter: nil,
            scans: scans,
            estimatedRows: 1000
        )
        let chunks = SnapshotChunk.split(scans[0], tableIndex: 0, chunkPages: 50, pageRanges: true)
        let plan = SnapshotPlan(tables: [table], chunks: chunks, catalog: .builtin, snapshotTime: .now)
        var tracker = SnapshotProgressTracker(plan: plan, interval: .seconds(1))
        let start = ContinuousClock.now
        tracker.chunkStarted(0, now: start)
        #expect(tracker.rowsDelivered(100, table: 0, now: start.advanced(by: .milliseconds(500))) == nil)
        #expect(tracker.chunkFinished(0, pages: 50, now: start.advanced(by: .seconds(1))) == nil)
        let report = tracker.rowsDelivered(400, table: 0, now: start.advanced(by: .seconds(2)))
        #expect(report?.rowsRead == 500)
        #expect(report?.rowsPerSecond == 250)
        #expect(report?.fractionComplete == 0.5)
        #expect(report?.estimatedTimeRemaining == .seconds(2))
        #expect(report?.isTableComplete == false)
        let done = tracker.chunkFinished(0, pages: 50, now: start.advanced(by: .seconds(4)))
        #expect(done?.isTableComplete == true)
        #expect(done?.fractionComplete == 1)
        #expect(done?.tablesCompleted == 1)
        #expect(done?.tableCount == 1)
        #expect(done?.totalRowsRead == 500)
    }
}
