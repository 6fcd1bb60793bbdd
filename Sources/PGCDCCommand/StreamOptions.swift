import ArgumentParser
import Foundation
import Logging
import PGOutput
import PostgresCDC
import PostgresWire

/// How the initial snapshot runs (`--snapshot`).
enum SnapshotModeOption: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Read the existing rows when the slot is created (the default).
    case initial
    /// Never read existing rows: only changes from the slot's consistent point.
    case never
    /// Read the existing rows, then exit.
    case initialOnly = "initial-only"

    /// The library's mode.
    var mode: SnapshotMode {
        switch self {
        case .initial: .initial
        case .never: .never
        case .initialOnly: .initialOnly
        }
    }
}

/// What to do when the slot vanished after a failover (`--on-missing-slot`).
enum MissingSlotOption: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Recover from the failover log tables when installed, else stop with an explanation (the default).
    case fail
    /// Create the slot again and copy the published tables again.
    case resnapshot

    /// The library's policy.
    var policy: CDCConfiguration.MissingSlotPolicy {
        switch self {
        case .fail: .fail
        case .resnapshot: .resnapshot
        }
    }
}

/// The options of `pgcdc stream`, each with an environment variable.
struct StreamOptions: ParsableArguments {
    @Option(help: "The replication slot (env PGCDC_SLOT, PYPGCDC_SLOT; default test_slot).")
    var slot: String?

    @Option(
        help:
            "The publication; comma-separated for several (env PGCDC_PUBLICATION, PYPGCDC_PUBLICATION; default test_publication)."
    )
    var publication: String?

    @Option(help: "Start position X/Y; 0 means where the slot stands (env PGCDC_LSN, PYPGCDC_LSN; default 0).")
    var lsn: String?

    @Option(
        help: "Exit 0 once the stream has passed this position X/Y, like pg_recvlogical --endpos (env PGCDC_END_LSN)."
    )
    var endLSN: String?

    @Flag(help: "Also emit begin, commit and relation events (env PGCDC_VERBOSE, PYPGCDC_VERBOSE: 1/true/yes).")
    var verbose: Bool = false

    @Option(help: "Append lines to this file, fsync'd per transaction, instead of stdout (env PGCDC_OUTPUT).")
    var output: String?

    @Option(
        help:
            "Exit 0 once this many change events were written and acknowledged, at the end of that transaction (env PGCDC_MAX_CHANGES)."
    )
    var maxChanges: Int?

    @Option(
        help:
            "The pgoutput protocol version 1-4; default: the highest the server supports (env PGCDC_PROTOCOL_VERSION)."
    )
    var protocolVersion: Int?

    @Flag(help: "Binary column values from the server, PostgreSQL 14+ (env PGCDC_BINARY).")
    var binary: Bool = false

    @Flag(
        help: "Stream large transactions while they run, protocol 2+; they may then be aborted (env PGCDC_STREAMING)."
    )
    var streaming: Bool = false

    @Flag(help: "Include logical decoding messages, pg_logical_emit_message (env PGCDC_MESSAGES).")
    var messages: Bool = false

    @Flag(
        inversion: .prefixedNo,
        help: "Create the slot when it does not exist (env PGCDC_CREATE_SLOT; default on)."
    )
    var createSlot: Bool?

    @Flag(help: "Create the slot as temporary: dropped when pgcdc exits (env PGCDC_TEMPORARY_SLOT).")
    var temporarySlot: Bool = false

    @Flag(
        help: "Create the slot as a failover slot, synchronized to standbys, PostgreSQL 17+ (env PGCDC_FAILOVER_SLOT)."
    )
    var failoverSlot: Bool = false

    @Option(help: "Seconds between status updates to the server (env PGCDC_STATUS_INTERVAL; default 10).")
    var statusInterval: Double?

    @Option(
        help:
            "Initial snapshot of existing rows for a new slot: initial, never, initial-only (env PGCDC_SNAPSHOT; default initial)."
    )
    var snapshot: SnapshotModeOption?

    @Option(
        help:
            "Connections reading the initial snapshot in parallel (env PGCDC_SNAPSHOT_WORKERS; default: CPU count, at most 4)."
    )
    var snapshotWorkers: Int?

    @Option(
        help: ArgumentHelp(
            "Persist the last acknowledged commit in this file, fsync'd before the server hears of it (env PGCDC_CHECKPOINT).",
            discussion:
                "A restart resumes exactly after that commit, a different database is refused, and a failover is recovered from it.",
            valueName: "file"
        )
    )
    var checkpoint: String?

    @Option(
        help:
            "When the slot vanished after a failover and no log tables can fill the gap: fail, or resnapshot (env PGCDC_ON_MISSING_SLOT; default fail)."
    )
    var onMissingSlot: MissingSlotOption?

    @Option(
        help:
            "Log level on stderr: trace, debug, info, notice, warning, error, critical (env PGCDC_LOG_LEVEL; default info)."
    )
    var logLevel: String?

    /// Every option resolved against the environment and the defaults, and checked.
    /// - Parameters:
    ///   - connection: the connection option.
    ///   - environment: the variables.
    /// - Returns: the settings.
    /// - Throws: `ValidationError` naming the bad option or variable.
    func resolve(connection: ConnectionOptions, environment: Environment) throws -> ResolvedStreamOptions {
        var resolved = ResolvedStreamOptions()
        resolved.slot = environment.slot(self.slot)
        resolved.publications = environment.publication(self.publication).split(separator: ",").map {
            String($0.trimmingCharacters(in: .whitespaces))
        }.filter { !$0.isEmpty }
        guard !resolved.publications.isEmpty else { throw ValidationError("--publication names no publication.") }

        if let text = self.lsn ?? environment.value("PGCDC_LSN", "PYPGCDC_LSN") {
            resolved.startLSN = try Self.parseLSN(text, option: "--lsn / PGCDC_LSN")
        }
        if let text = self.endLSN ?? environment.value("PGCDC_END_LSN") {
            resolved.endLSN = try Self.parseLSN(text, option: "--end-lsn / PGCDC_END_LSN")
        }
        resolved.verbose = self.verbose || (environment.flag("PGCDC_VERBOSE", "PYPGCDC_VERBOSE") ?? false)
        resolved.outputPath = self.output ?? environment.value("PGCDC_OUTPUT")
        if let limit = try self.maxChanges ?? Self.integer(environment, "PGCDC_MAX_CHANGES") {
            guard limit > 0 else { throw ValidationError("--max-changes must be at least 1, got \(limit).") }
            resolved.maxChanges = limit
        }
        if let version = try self.protocolVersion ?? Self.integer(environment, "PGCDC_PROTOCOL_VERSION") {
            guard (1...4).contains(version) else {
                throw ValidationError("--protocol-version must be 1, 2, 3 or 4, got \(version).")
            }
            resolved.protocolVersion = version
        }
        resolved.binary = self.binary || (environment.flag("PGCDC_BINARY") ?? false)
        resolved.streaming = self.streaming || (environment.flag("PGCDC_STREAMING") ?? false)
        resolved.messages = self.messages || (environment.flag("PGCDC_MESSAGES") ?? false)
        resolved.createSlot = self.createSlot ?? environment.flag("PGCDC_CREATE_SLOT") ?? true
        resolved.temporarySlot = self.temporarySlot || (environment.flag("PGCDC_TEMPORARY_SLOT") ?? false)
        resolved.failoverSlot = self.failoverSlot || (environment.flag("PGCDC_FAILOVER_SLOT") ?? false)
        if resolved.failoverSlot && resolved.temporarySlot {
            throw ValidationError(
                "--failover-slot and --temporary-slot exclude each other: a temporary slot cannot fail over."
            )
        }
        if let text = environment.value("PGCDC_STATUS_INTERVAL"), self.statusInterval == nil {
            guard let seconds = Double(text) else {
                throw ValidationError("PGCDC_STATUS_INTERVAL must be a number of seconds, got '\(text)'.")
            }
            resolved.statusInterval = seconds
        } else if let seconds = self.statusInterval {
            resolved.statusInterval = seconds
        }
        guard resolved.statusInterval > 0, resolved.statusInterval <= 3600 else {
            throw ValidationError(
                "--status-interval must be between 0 and 3600 seconds, got \(resolved.statusInterval)."
            )
        }
        if let mode = self.snapshot {
            resolved.snapshot = mode
        } else if let text = environment.value("PGCDC_SNAPSHOT") {
            guard let mode = SnapshotModeOption(rawValue: text) else {
                throw ValidationError("PGCDC_SNAPSHOT must be initial, never or initial-only, got '\(text)'.")
            }
            resolved.snapshot = mode
        }
        if let workers = try self.snapshotWorkers ?? Self.integer(environment, "PGCDC_SNAPSHOT_WORKERS") {
            guard (1...64).contains(workers) else {
                throw ValidationError("--snapshot-workers must be between 1 and 64, got \(workers).")
            }
            resolved.snapshotWorkers = workers
        }
        if resolved.snapshot == .initialOnly && resolved.temporarySlot == false && resolved.createSlot == false {
            throw ValidationError("--snapshot initial-only needs a slot it may create: drop --no-create-slot.")
        }
        if let path = self.checkpoint ?? environment.value("PGCDC_CHECKPOINT") {
            guard !path.isEmpty else { throw ValidationError("--checkpoint needs a file path.") }
            resolved.checkpointPath = path
        }
        if let policy = self.onMissingSlot {
            resolved.onMissingSlot = policy
        } else if let text = environment.value("PGCDC_ON_MISSING_SLOT") {
            guard let policy = MissingSlotOption(rawValue: text) else {
                throw ValidationError("PGCDC_ON_MISSING_SLOT must be fail or resnapshot, got '\(text)'.")
            }
            resolved.onMissingSlot = policy
        }
        if let text = self.logLevel ?? environment.value("PGCDC_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ValidationError(
                    "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'."
                )
            }
            resolved.logLevel = level
        }
        _ = connection
        return resolved
    }

    private static func parseLSN(_ text: String, option: String) throws -> LSN {
        if text == "0" { return .zero }
        guard let lsn = LSN(text) else {
            throw ValidationError("\(option) must be a WAL position like 0/16B3748 (or 0), got '\(text)'.")
        }
        return lsn
    }

    private static func integer(_ environment: Environment, _ name: String) throws -> Int? {
        guard let text = environment.value(name) else { return nil }
        guard let value = Int(text) else { throw ValidationError("\(name) must be an integer, got '\(text)'.") }
        return value
    }
}

/// The stream options after environment variables and defaults were applied.
struct ResolvedStreamOptions: Sendable, Equatable {
    var slot = "test_slot"
    var publications = ["test_publication"]
    var startLSN = LSN.zero
    var endLSN: LSN?
    var verbose = false
    var outputPath: String?
    var maxChanges: Int?
    var protocolVersion: Int?
    var binary = false
    var streaming = false
    var messages = false
    var createSlot = true
    var temporarySlot = false
    var failoverSlot = false
    var statusInterval: Double = 10
    var snapshot = SnapshotModeOption.initial
    var snapshotWorkers = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    var checkpointPath: String?
    var onMissingSlot = MissingSlotOption.fail
    var logLevel = Logger.Level.info

    /// The pipeline configuration.
    /// - Parameter connection: where to connect.
    /// - Returns: the configuration.
    func configuration(connection: ConnectionSettings) -> CDCConfiguration {
        var configuration = CDCConfiguration(connection: connection, slot: self.slot, publications: self.publications)
        configuration.startLSN = self.startLSN
        configuration.endLSN = self.endLSN
        configuration.protocolVersion = self.protocolVersion.map { PGOutputProtocolVersion(rawValue: $0) }
        configuration.binary = self.binary
        configuration.streaming = self.streaming
        configuration.messages = self.messages
        configuration.createSlot = self.createSlot
        configuration.temporarySlot = self.temporarySlot
        configuration.failoverSlot = self.failoverSlot
        configuration.snapshot = self.snapshot.mode
        configuration.snapshotWorkers = self.snapshotWorkers
        configuration.checkpointStore = self.checkpointPath.map { FileCheckpointStore(path: $0) }
        configuration.onMissingSlot = self.onMissingSlot.policy
        configuration.replication.statusInterval = .milliseconds(Int64((self.statusInterval * 1000).rounded()))
        return configuration
    }
}
