import ArgumentParser
import Foundation
import Logging
import PostgresWire

/// `pgcdc slot list|create|drop`.
struct SlotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slot",
        abstract: "List, create or drop logical replication slots.",
        subcommands: [List.self, Create.self, Drop.self]
    )

    /// `pgcdc slot list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List the replication slots, with the WAL each one retains; warns about inactive slots holding WAL."
        )

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let environment = Environment.process
            do {
                let slots = try await ServerSession.run(self.connection, environment: environment) { session in
                    try await session.slots()
                }
                print(SlotReport.table(slots))
                for warning in SlotReport.warnings(slots) {
                    Terminal.printError("warning: \(warning)")
                }
            } catch {
                throw Terminal.fail(error)
            }
        }
    }

    /// `pgcdc slot create`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a logical slot for pgoutput.")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The slot (env PGCDC_SLOT, PYPGCDC_SLOT; default test_slot).")
        var slot: String?

        @Flag(help: "Create a failover slot, synchronized to standbys (PostgreSQL 17+).")
        var failover: Bool = false

        func run() async throws {
            let environment = Environment.process
            let name = environment.slot(self.slot)
            do {
                let created = try await ServerSession.run(self.connection, environment: environment) { session in
                    try await session.connection.createReplicationSlot(
                        name,
                        snapshot: .nothing,
                        failover: self.failover
                    )
                }
                print("created slot \(created.name) at \(created.consistentPoint)")
            } catch {
                throw Terminal.fail(error)
            }
        }
    }

    /// `pgcdc slot drop`.
    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop a slot (the WAL it retained is released).")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The slot (env PGCDC_SLOT, PYPGCDC_SLOT; default test_slot).")
        var slot: String?

        @Flag(help: "Wait for the slot to become inactive instead of failing when it is in use.")
        var wait: Bool = false

        func run() async throws {
            let environment = Environment.process
            let name = environment.slot(self.slot)
            do {
                try await ServerSession.run(self.connection, environment: environment) { session in
                    try await session.connection.dropReplicationSlot(name, wait: self.wait)
                }
                print("dropped slot \(name)")
            } catch {
                throw Terminal.fail(error)
            }
        }
    }
}

/// One row of `pg_replication_slots`.
struct SlotInfo: Sendable, Equatable {
    var name: String
    var plugin: String
    var type: String
    var database: String
    var active: Bool
    var confirmedFlush: String
    var retainedBytes: Int64?
    var failover: Bool?
    var synced: Bool?
}

/// Formats slots for people.
enum SlotReport {
    /// Inactive slots retaining at least this much WAL are warned about (one default WAL segment).
    static let retentionWarningBytes: Int64 = 16 * 1024 * 1024

    /// A table with one slot per line.
    /// - Parameter slots: the slots.
    /// - Returns: the text.
    static func table(_ slots: [SlotInfo]) -> String {
        guard !slots.isEmpty else { return "no replication slots" }
        let showFailover = slots.contains { $0.failover != nil }
        var rows = [["slot", "plugin", "database", "active", "confirmed_flush", "wal_retained"]]
        if showFailover { rows[0] += ["failover", "synced"] }
        for slot in slots {
            var row = [
                slot.name, slot.plugin, slot.database, slot.active ? "yes" : "no", slot.confirmedFlush,
                slot.retainedBytes.map(Self.bytes) ?? "-",
            ]
            if showFailover {
                row += [slot.failover.map { $0 ? "yes" : "no" } ?? "-", slot.synced.map { $0 ? "yes" : "no" } ?? "-"]
            }
            rows.append(row)
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingSuffix()
        }.joined(separator: "\n")
    }

    /// Warnings for inactive slots that hold WAL back.
    /// - Parameter slots: the slots.
    /// - Returns: one sentence per slot.
    static func warnings(_ slots: [SlotInfo]) -> [String] {
        slots.compactMap { slot in
            guard !slot.active, let retained = slot.retainedBytes, retained >= Self.retentionWarningBytes else {
                return nil
            }
            return "slot \(slot.name) is inactive and retains \(Self.bytes(retained)) of WAL: resume its consumer "
                + "or drop it with `pgcdc slot drop --slot \(slot.name)` before the disk fills up"
        }
    }

    /// Bytes for people: `512 B`, `3.2 MiB`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}

extension String {
    fileprivate func trimmingSuffix() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
