import ArgumentParser
import Foundation
import PGOutput
import PostgresCDC
import PostgresWire

/// `pgcdc doctor`: checks that a server is ready for logical replication.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check a server's setup for CDC: one line per check (OK/WARN/FAIL) with the fix; exit 1 on FAIL."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The publication to check (env PGCDC_PUBLICATION, PYPGCDC_PUBLICATION; default test_publication).")
    var publication: String?

    @Option(help: "The slot to check (env PGCDC_SLOT, PYPGCDC_SLOT; default test_slot).")
    var slot: String?

    @Option(
        help: "The schema of the failover log tables (env PGCDC_LOG_SCHEMA; default \(LogTables.defaultSchema))."
    )
    var logSchema: String?

    @Option(
        help: ArgumentHelp(
            "A standby to check for failover slot synchronization, PostgreSQL 17+ (env PGCDC_STANDBY_DSN).",
            discussion: "Hosts of a multi-host --dsn that are in recovery are checked too.",
            valueName: "dsn"
        )
    )
    var standby: String?

    func run() async throws {
        let environment = Environment.process
        let publication = environment.publication(self.publication)
        let slot = environment.slot(self.slot)
        var findings: [DoctorFinding]
        do {
            let settings = try self.connection.settings(in: environment)
            let standby = try (self.standby ?? environment.value("PGCDC_STANDBY_DSN")).map {
                try ConnectionSettings.parse($0, environment: environment.variables)
            }
            let failover = FailoverDoctor(
                settings: settings,
                standby: standby,
                publication: publication,
                slot: slot,
                logTables: LogTables(
                    schema: self.logSchema ?? environment.value("PGCDC_LOG_SCHEMA") ?? LogTables.defaultSchema
                )
            )
            let primary: FailoverDoctor.Primary
            (findings, primary) = try await ServerSession.run(settings: settings) { session in
                let doctor = Doctor(session: session, publication: publication, slot: slot)
                var findings = try await doctor.examine()
                let (primary, slotFindings) = try await failover.primaryChecks(
                    session: session,
                    slots: try await session.slots()
                )
                findings += slotFindings
                return (findings, primary)
            }
            findings += await failover.logTableChecks()
            findings += await failover.standbyChecks(primary: primary)
        } catch {
            throw Terminal.fail(error)
        }
        let color = Terminal.usesColor(1)
        for finding in findings {
            print(finding.line(color: color))
        }
        if findings.contains(where: { $0.status == .fail }) {
            throw ExitCode.failure
        }
    }
}

/// The outcome of one check.
struct DoctorFinding: Sendable, Equatable {
    /// How bad.
    enum Status: String, Sendable {
        case ok = "OK"
        case warn = "WARN"
        case fail = "FAIL"
    }

    var status: Status
    /// What was found.
    var message: String
    /// What to do, for WARN and FAIL.
    var fix: String?

    /// The printed line: `OK   wal_level is logical`, `FAIL ... Fix: ...`.
    func line(color: Bool) -> String {
        let label = self.status.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0)
        let colored: String
        if color {
            let code = self.status == .ok ? "32" : self.status == .warn ? "33" : "31"
            colored = "\u{1B}[\(code)m\(label)\u{1B}[0m"
        } else {
            colored = label
        }
        return "\(colored) \(self.message)" + (self.fix.map { ". Fix: \($0)" } ?? "")
    }
}

/// The checks of `pgcdc doctor`.
struct Doctor {
    let session: ServerSession
    let publication: String
    let slot: String

    private var literalPublication: String { ReplicationCommandQuoting.literal(self.publication) }

    /// Runs every check.
    /// - Returns: the findings, in order.
    /// - Throws: ``PostgresWireError`` when a query fails.
    func examine() async throws -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        findings.append(try await self.walLevel())
        findings += try await self.headroom()
        findings.append(try await self.privilege())
        findings += try await self.publicationChecks()
        findings += try await self.slotChecks()
        findings.append(self.features())
        return findings
    }

    private func walLevel() async throws -> DoctorFinding {
        let level = try await self.session.value("SELECT current_setting('wal_level')") ?? "unknown"
        if level == "logical" { return DoctorFinding(status: .ok, message: "wal_level is logical") }
        return DoctorFinding(
            status: .fail,
            message: "wal_level is \(level), logical replication needs logical",
            fix: "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL"
        )
    }

    private func headroom() async throws -> [DoctorFinding] {
        let row =
            try await self.session.rows(
                """
                SELECT current_setting('max_replication_slots'), (SELECT count(*) FROM pg_catalog.pg_replication_slots)::text,
                       current_setting('max_wal_senders'), (SELECT count(*) FROM pg_catalog.pg_stat_replication)::text,
                       (SELECT count(*) FROM pg_catalog.pg_replication_slots WHERE slot_name = \(ReplicationCommandQuoting.literal(self.slot)))::text
                """
            ).first ?? []
        func int(_ index: Int) -> Int { row.indices.contains(index) ? Int(row[index] ?? "") ?? 0 : 0 }
        let (maxSlots, slots, maxSenders, senders, ownSlot) = (int(0), int(1), int(2), int(3), int(4))
        var findings: [DoctorFinding] = []
        if slots < maxSlots || ownSlot > 0 {
            findings.append(DoctorFinding(status: .ok, message: "replication slots: \(slots) of \(maxSlots) used"))
        } else {
            findings.append(
                DoctorFinding(
                    status: .fail,
                    message: "replication slots: all \(maxSlots) are used, slot \(self.slot) cannot be created",
                    fix: "drop an unused slot (pgcdc slot list / slot drop) or raise max_replication_slots and restart"
                )
            )
        }
        if senders < maxSenders {
            findings.append(DoctorFinding(status: .ok, message: "WAL senders: \(senders) of \(maxSenders) in use"))
        } else {
            findings.append(
                DoctorFinding(
                    status: .fail,
                    message: "WAL senders: all \(maxSenders) are in use",
                    fix: "stop an unused replication consumer or raise max_wal_senders and restart"
                )
            )
        }
        return findings
    }

    private func privilege() async throws -> DoctorFinding {
        let row =
            try await self.session.rows(
                "SELECT current_user::text, (rolreplication OR rolsuper)::text FROM pg_catalog.pg_roles WHERE rolname = current_user"
            ).first ?? []
        let user = (row.first ?? nil) ?? "?"
        if row.count > 1, row[1] == "true" {
            return DoctorFinding(status: .ok, message: "user \(user) may replicate")
        }
        return DoctorFinding(
            status: .fail,
            message: "user \(user) lacks the REPLICATION privilege",
            fix: "ALTER ROLE \(ReplicationCommandQuoting.identifier(user)) REPLICATION"
        )
    }

    private func publicationChecks() async throws -> [DoctorFinding] {
        let publication =
            try await self.session.rows(
                "SELECT puballtables::text, pubupdate::text, pubdelete::text FROM pg_catalog.pg_publication WHERE pubname = \(self.literalPublication)"
            ).first
        guard let publication else {
            return [
                DoctorFinding(
                    status: .fail,
                    message: "publication \(self.publication) does not exist",
                    fix: "CREATE PUBLICATION \(ReplicationCommandQuoting.identifier(self.publication)) FOR TABLE ..."
                )
            ]
        }
        let publishesUpdateOrDelete = publication[1] == "true" || publication[2] == "true"
        let tables = try await self.session.rows(
            """
            SELECT quote_ident(pt.schemaname) || '.' || quote_ident(pt.tablename), c.relreplident::text,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)::text
            FROM pg_catalog.pg_publication_tables pt
            JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname
            JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
            WHERE pt.pubname = \(self.literalPublication) ORDER BY 1
            """
        )
        var findings: [DoctorFinding] = []
        if tables.isEmpty {
            findings.append(
                DoctorFinding(
                    status: .warn,
                    message: "publication \(self.publication) publishes no table",
                    fix: "ALTER PUBLICATION \(ReplicationCommandQuoting.identifier(self.publication)) ADD TABLE ..."
                )
            )
            return findings
        }
        findings.append(
            DoctorFinding(
                status: .ok,
                message: "publication \(self.publication) publishes \(tables.count) table(s)"
                    + (publication[0] == "true" ? " (FOR ALL TABLES)" : "")
            )
        )
        for table in tables {
            let name = table[0] ?? "?"
            switch (table[1] ?? "", table[2] ?? "") {
            case ("d", "false") where publishesUpdateOrDelete:
                findings.append(
                    DoctorFinding(
                        status: .fail,
                        message:
                            "table \(name) has no primary key and replica identity default: its updates and deletes will fail",
                        fix: "add a primary key, or ALTER TABLE \(name) REPLICA IDENTITY FULL"
                    )
                )
            case ("n", _) where publishesUpdateOrDelete:
                findings.append(
                    DoctorFinding(
                        status: .fail,
                        message: "table \(name) has replica identity nothing: its updates and deletes will fail",
                        fix: "ALTER TABLE \(name) REPLICA IDENTITY DEFAULT (with a primary key) or FULL"
                    )
                )
            case ("f", _):
                findings.append(DoctorFinding(status: .ok, message: "table \(name): replica identity full"))
            case ("i", _):
                findings.append(DoctorFinding(status: .ok, message: "table \(name): replica identity index"))
            default:
                findings.append(DoctorFinding(status: .ok, message: "table \(name): replica identity primary key"))
            }
        }
        return findings
    }

    private func slotChecks() async throws -> [DoctorFinding] {
        let slots = try await self.session.slots()
        var findings = SlotReport.warnings(slots).map {
            DoctorFinding(
                status: .warn,
                message: $0.components(separatedBy: ": ").first ?? $0,
                fix: "resume or drop it"
            )
        }
        if let own = slots.first(where: { $0.name == self.slot }) {
            if own.plugin != "pgoutput" {
                findings.append(
                    DoctorFinding(
                        status: .fail,
                        message: "slot \(self.slot) uses plugin \(own.plugin), not pgoutput",
                        fix: "drop it or choose another slot name"
                    )
                )
            } else {
                findings.append(
                    DoctorFinding(
                        status: .ok,
                        message:
                            "slot \(self.slot) exists (\(own.active ? "active" : "inactive"), confirmed \(own.confirmedFlush))"
                    )
                )
            }
        } else {
            findings.append(
                DoctorFinding(status: .ok, message: "slot \(self.slot) does not exist yet: pgcdc stream creates it")
            )
        }
        return findings
    }

    private func features() -> DoctorFinding {
        let major = self.session.connection.serverMajorVersion
        let protocolVersion = PGOutputProtocolVersion.highest(forServerMajorVersion: major).rawValue
        var features = ["pgoutput protocol \(protocolVersion)"]
        if major >= 14 { features += ["binary values", "streaming of large transactions", "logical messages"] }
        if major >= 17 { features.append("failover slots") }
        let message = "PostgreSQL \(major): " + features.joined(separator: ", ")
        if major < 17 {
            return DoctorFinding(
                status: .ok,
                message: message + "; no failover slots before PostgreSQL 17 (use pgcdc failover install)"
            )
        }
        return DoctorFinding(status: .ok, message: message)
    }
}
