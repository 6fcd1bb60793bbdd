import Foundation
import Logging
import PostgresCDC
import PostgresWire

/// The failover checks of `pgcdc doctor`: log tables, commit timestamps, and on PostgreSQL 17+ the failover slot
/// and the standbys that should synchronize it.
struct FailoverDoctor {
    /// The connection string's settings (all its hosts).
    let settings: ConnectionSettings
    /// A standby given with `--standby`.
    let standby: ConnectionSettings?
    let publication: String
    let slot: String
    let logTables: LogTables

    /// What the doctor learnt about the primary, for the standby checks.
    struct Primary: Sendable {
        /// The server's major version.
        var majorVersion: Int
        /// Whether the slot exists and is a failover slot (`nil`: no slot, or before PostgreSQL 17).
        var slotIsFailover: Bool?
        /// The primary's `synchronized_standby_slots` (PostgreSQL 17+).
        var synchronizedStandbySlots: [String]
    }

    /// The log table and `track_commit_timestamp` checks.
    /// - Returns: the findings; none when the publication is missing (the publication check already fails).
    func logTableChecks() async -> [DoctorFinding] {
        let logger = Terminal.logger(level: .critical)
        let status: LogTables.Status
        do {
            status = try await LogTables.withConnection(to: self.settings, logger: logger) { connection in
                try await self.logTables.status(publication: self.publication, on: connection, logger: logger)
            }
        } catch let error as CDCError where error.code == .publicationMissing {
            return []
        } catch {
            return [
                DoctorFinding(
                    status: .warn,
                    message: "the failover log tables could not be checked (\(error))",
                    fix: "check them on the primary with pgcdc failover status"
                )
            ]
        }
        var findings: [DoctorFinding] = []
        let schema = self.logTables.schema
        let install =
            "install them with pgcdc failover install --publication \(self.publication)"
            + (schema == LogTables.defaultSchema ? "" : " --schema \(schema)")
        if !status.isInstalled {
            findings.append(
                DoctorFinding(
                    status: .warn,
                    message: "failover log tables are not installed (schema \(schema)): a slot lost in a failover "
                        + "cannot be recovered",
                    fix: install
                )
            )
        } else if !status.tablesWithoutTriggers.isEmpty {
            let names = status.tablesWithoutTriggers.map(\.description).joined(separator: ", ")
            findings.append(
                DoctorFinding(
                    status: .warn,
                    message: "published tables without the failover log trigger: \(names)",
                    fix: install
                )
            )
        } else {
            findings.append(
                DoctorFinding(
                    status: .ok,
                    message: "failover log tables installed (schema \(schema)); all \(status.publishedTables.count) "
                        + "published table(s) have the trigger; \(status.entryCount) entries, "
                        + FailoverStatusReport.bytes(status.sizeInBytes)
                )
            )
        }
        if status.tracksCommitTimestamps {
            findings.append(DoctorFinding(status: .ok, message: "track_commit_timestamp is on"))
        } else {
            findings.append(
                DoctorFinding(
                    status: .warn,
                    message: "track_commit_timestamp is off: recovered transactions cannot be put in commit order",
                    fix: "ALTER SYSTEM SET track_commit_timestamp = on; then restart PostgreSQL"
                )
            )
        }
        return findings
    }

    /// What the doctor needs from the primary's session, and the finding on the slot's failover flag.
    /// - Parameters:
    ///   - session: the session on the primary.
    ///   - slots: the primary's slots.
    /// - Returns: the facts and the findings.
    /// - Throws: ``PostgresWireError`` when a query fails.
    func primaryChecks(session: ServerSession, slots: [SlotInfo]) async throws -> (Primary, [DoctorFinding]) {
        let major = session.connection.serverMajorVersion
        guard major >= 17 else {
            return (Primary(majorVersion: major, slotIsFailover: nil, synchronizedStandbySlots: []), [])
        }
        let configured = try await session.value("SELECT current_setting('synchronized_standby_slots')") ?? ""
        let standbySlots = configured.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let own = slots.first { $0.name == self.slot }
        var findings: [DoctorFinding] = []
        if let own, let failover = own.failover {
            if failover {
                findings.append(DoctorFinding(status: .ok, message: "slot \(self.slot) is a failover slot"))
            } else {
                findings.append(
                    DoctorFinding(
                        status: .warn,
                        message: "slot \(self.slot) is not a failover slot: a promoted standby will not have it",
                        fix: "drop it (pgcdc slot drop) and let pgcdc stream --failover-slot create it again, or "
                            + "install the log tables with pgcdc failover install"
                    )
                )
            }
        }
        let facts = Primary(majorVersion: major, slotIsFailover: own?.failover, synchronizedStandbySlots: standbySlots)
        return (facts, findings)
    }

    /// The standby checks: every host of the connection string that is in recovery, and `--standby`.
    /// - Parameter primary: what the primary said.
    /// - Returns: the findings.
    func standbyChecks(primary: Primary) async -> [DoctorFinding] {
        var candidates: [(settings: ConnectionSettings, explicit: Bool)] = []
        if self.settings.endpoints.count > 1 {
            for endpoint in self.settings.endpoints {
                var single = self.settings
                single.endpoints = [endpoint]
                single.targetSessionAttributes = .any
                candidates.append((single, false))
            }
        }
        if var standby = self.standby {
            standby.targetSessionAttributes = .any
            candidates.append((standby, true))
        }
        var findings: [DoctorFinding] = []
        for candidate in candidates {
            let name = candidate.settings.endpoints.map(\.description).joined(separator: ",")
            do {
                findings += try await ServerSession.run(settings: candidate.settings) { session in
                    try await self.standbyFindings(
                        session: session,
                        name: name,
                        primary: primary,
                        explicit: candidate.explicit
                    )
                }
            } catch {
                findings.append(
                    DoctorFinding(
                        status: candidate.explicit ? .fail : .warn,
                        message: "host \(name) could not be checked (\(error))",
                        fix: "check that it runs and accepts replication connections (pg_hba.conf)"
                    )
                )
            }
        }
        return findings
    }

    private func standbyFindings(
        session: ServerSession,
        name: String,
        primary: Primary,
        explicit: Bool
    ) async throws -> [DoctorFinding] {
        let inRecovery = try await session.value("SELECT pg_catalog.pg_is_in_recovery()::text") == "true"
        guard inRecovery else {
            if explicit {
                return [
                    DoctorFinding(
                        status: .fail,
                        message: "--standby \(name) is not a standby (not in recovery)",
                        fix: "give the standby's connection string"
                    )
                ]
            }
            return []
        }
        let major = session.connection.serverMajorVersion
        guard major >= 17 else {
            return [
                DoctorFinding(
                    status: self.slotNeedsLogTables(primary) ? .warn : .ok,
                    message: "standby \(name): PostgreSQL \(major) does not synchronize logical slots",
                    fix: self.slotNeedsLogTables(primary) ? "install the log tables with pgcdc failover install" : nil
                )
            ]
        }
        let row =
            try await session.rows(
                """
                SELECT current_setting('sync_replication_slots'), current_setting('hot_standby_feedback'),
                       current_setting('primary_slot_name'), current_setting('synchronized_standby_slots'),
                       (SELECT synced::text FROM pg_catalog.pg_replication_slots
                        WHERE slot_name = \(ReplicationCommandQuoting.literal(self.slot)))
                """
            ).first ?? []
        func value(_ index: Int) -> String? { row.indices.contains(index) ? row[index] : nil }
        var findings: [DoctorFinding] = []
        let reload = "; then SELECT pg_reload_conf() on the standby"
        findings.append(
            value(0) == "on"
                ? DoctorFinding(status: .ok, message: "standby \(name): sync_replication_slots is on")
                : DoctorFinding(
                    status: .warn,
                    message: "standby \(name): sync_replication_slots is off: failover slots are not copied to it",
                    fix: "ALTER SYSTEM SET sync_replication_slots = on" + reload
                )
        )
        findings.append(
            value(1) == "on"
                ? DoctorFinding(status: .ok, message: "standby \(name): hot_standby_feedback is on")
                : DoctorFinding(
                    status: .warn,
                    message: "standby \(name): hot_standby_feedback is off: slot synchronization needs it",
                    fix: "ALTER SYSTEM SET hot_standby_feedback = on" + reload
                )
        )
        let physicalSlot = value(2) ?? ""
        if physicalSlot.isEmpty {
            findings.append(
                DoctorFinding(
                    status: .warn,
                    message: "standby \(name): primary_slot_name is empty: slot synchronization needs a physical slot",
                    fix: "create a physical slot on the primary and ALTER SYSTEM SET primary_slot_name = '<slot>'"
                        + reload
                )
            )
        } else {
            findings.append(
                DoctorFinding(status: .ok, message: "standby \(name): primary_slot_name is \(physicalSlot)")
            )
            if primary.majorVersion >= 17 {
                findings.append(
                    primary.synchronizedStandbySlots.contains(physicalSlot)
                        ? DoctorFinding(
                            status: .ok,
                            message: "primary's synchronized_standby_slots lists \(physicalSlot)"
                        )
                        : DoctorFinding(
                            status: .warn,
                            message: "primary's synchronized_standby_slots does not list \(physicalSlot): the "
                                + "consumer may get changes the standby has not received, and lose them in a failover",
                            fix: "on the primary: ALTER SYSTEM SET synchronized_standby_slots = '\(physicalSlot)'; "
                                + "SELECT pg_reload_conf()"
                        )
                )
            }
        }
        if let own = value(3), !own.isEmpty {
            findings.append(
                DoctorFinding(
                    status: .warn,
                    message: "standby \(name): synchronized_standby_slots is '\(own)': once promoted it would wait "
                        + "for slots that do not exist there",
                    fix: "ALTER SYSTEM SET synchronized_standby_slots = ''" + reload
                )
            )
        }
        switch value(4) {
        case "true":
            findings.append(DoctorFinding(status: .ok, message: "standby \(name): slot \(self.slot) is synced"))
        case .some:
            findings.append(
                DoctorFinding(
                    status: .warn,
                    message: "standby \(name): slot \(self.slot) exists there but is not synced from the primary",
                    fix: "drop it on the standby; the slot sync worker copies the primary's failover slot"
                )
            )
        case .none:
            findings.append(
                DoctorFinding(
                    status: primary.slotIsFailover == nil ? .ok : .warn,
                    message: "standby \(name): slot \(self.slot) is not synced there"
                        + (primary.slotIsFailover == nil ? " (it does not exist on the primary yet)" : ""),
                    fix: primary.slotIsFailover == false
                        ? "recreate the slot as a failover slot (pgcdc stream --failover-slot)"
                        : primary.slotIsFailover == true
                            ? "wait: the standby copies a new failover slot once it has replayed the WAL the slot "
                                + "needs (SELECT pg_sync_replication_slots() on the standby syncs now); else check the "
                                + "settings above and the standby's log" : nil
                )
            )
        }
        return findings
    }

    private func slotNeedsLogTables(_ primary: Primary) -> Bool {
        primary.slotIsFailover != true
    }
}
