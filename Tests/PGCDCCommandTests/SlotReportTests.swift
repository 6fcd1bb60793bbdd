import Testing

@testable import PGCDCCommand

@Suite("pgcdc slot list and doctor output")
struct SlotReportTests {
    private let slots = [
        SlotInfo(
            name: "busy",
            plugin: "pgoutput",
            type: "logical",
            database: "shop",
            active: true,
            confirmedFlush: "0/1A",
            retainedBytes: 100 * 1024 * 1024
        ),
        SlotInfo(
            name: "stale",
            plugin: "pgoutput",
            type: "logical",
            database: "shop",
            active: false,
            confirmedFlush: "0/10",
            retainedBytes: 3 * 1024 * 1024 * 1024
        ),
        SlotInfo(
            name: "fresh",
            plugin: "pgoutput",
            type: "logical",
            database: "shop",
            active: false,
            confirmedFlush: "0/1B",
            retainedBytes: 1024
        ),
    ]

    @Test("the table has a header and one aligned line per slot")
    func table() {
        let lines = SlotReport.table(self.slots).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("slot "))
        #expect(lines[2].contains("3.0 GiB"))
        #expect(lines[3].contains("1.0 KiB"))
        #expect(SlotReport.table([]) == "no replication slots")
    }

    @Test("only inactive slots holding at least a WAL segment are warned about")
    func warnings() {
        let warnings = SlotReport.warnings(self.slots)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("stale") == true)
        #expect(warnings.first?.contains("pgcdc slot drop --slot stale") == true)
    }

    @Test("doctor lines: status, message, fix")
    func doctorLine() {
        let fail = DoctorFinding(status: .fail, message: "wal_level is replica", fix: "set it")
        #expect(fail.line(color: false) == "FAIL wal_level is replica. Fix: set it")
        #expect(DoctorFinding(status: .ok, message: "fine").line(color: false) == "OK   fine")
        #expect(fail.line(color: true).contains("\u{1B}[31m"))
    }
}
