import ArgumentParser
import Foundation
import Logging
import PostgresCDC
import PostgresCDCSinks
import PostgresWire
import ServiceLifecycle
import UnixSignals

/// `pgcdc stream`: the changes of a publication as JSON lines.
struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Stream the changes of a publication as JSON lines (one event per line) on stdout.",
        discussion: """
            Creates the slot when it is missing. Logs go to stderr. A transaction is acknowledged to the server \
            only after its lines were written (and, with --output, fsync'd): after a restart the stream resumes \
            after the last acknowledged transaction. A slot it creates first gets the existing rows of the published \
            tables as `read` events (--snapshot; progress on stderr). SIGINT/SIGTERM finish the current transaction, acknowledge \
            it and exit 0. The event format is described in docs/events.md.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: StreamOptions

    func validate() throws {
        _ = try self.options.resolve(connection: self.connection, environment: .process)
    }

    func run() async throws {
        let environment = Environment.process
        let resolved = try self.options.resolve(connection: self.connection, environment: environment)
        let logger = Terminal.logger(level: resolved.logLevel)
        var configuration: CDCConfiguration
        do {
            configuration = try resolved.configuration(connection: self.connection.settings(in: environment))
        } catch {
            throw Terminal.fail(error)
        }
        configuration.acknowledgement = .explicit

        let output: OutputFile
        do {
            if let path = resolved.outputPath {
                output = try OutputFile.appending(to: path)
            } else {
                output = .standardOutput
            }
        } catch {
            throw Terminal.fail(error)
        }
        defer { output.close() }

        if resolved.snapshot != .never {
            // Progress of the initial snapshot (when the slot is created) on stderr: a bar on a terminal, else a
            // plain line every 10 seconds and one per finished table.
            let terminal = isatty(FileHandle.standardError.fileDescriptor) == 1
            configuration.snapshotProgress = SnapshotProgressReport.printer(terminal: terminal)
            if !terminal { configuration.snapshotProgressInterval = .seconds(10) }
        }
        let runner = StreamRunner(
            configuration: configuration,
            output: output,
            verbose: resolved.verbose,
            maxChanges: resolved.maxChanges,
            logger: logger
        )
        do {
            let written = try await runner.run()
            logger.info(
                "stream stopped",
                metadata: ["pgcdc.changes": "\(written.changes)", "pgcdc.acknowledged": "\(written.acknowledged)"]
            )
        } catch {
            throw Terminal.fail(error)
        }
    }
}

/// Runs the pipeline in a `ServiceGroup` that shuts down gracefully on SIGINT/SIGTERM, writing JSON lines.
struct StreamRunner {
    /// What was delivered when the run ended.
    struct Outcome {
        /// The change events written and acknowledged.
        var changes: Int
        /// The last acknowledged position.
        var acknowledged: String
    }

    var configuration: CDCConfiguration
    var output: OutputFile
    var verbose: Bool
    var maxChanges: Int?
    var logger: Logger

    /// Streams until a signal, `--max-changes` or `--end-lsn` stops it.
    /// - Returns: what was written.
    /// - Throws: ``CDCError`` or ``OutputError``.
    func run() async throws -> Outcome {
        let (limitReached, limitContinuation) = AsyncStream<Void>.makeStream()
        let handler = JSONLinesHandler(
            output: self.output,
            verbose: self.verbose,
            maxChanges: self.maxChanges,
            onLimitReached: {
                limitContinuation.yield()
                limitContinuation.finish()
            }
        )
        let pipeline = ChangeDataCapture(configuration: self.configuration, handler: handler, logger: self.logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: self.logger
            )
        )
        self.logger.info(
            "streaming",
            metadata: [
                "pgcdc.slot": "\(self.configuration.slot)",
                "pgcdc.publications": "\(self.configuration.publications.joined(separator: ","))",
                "db.endpoints": "\(self.configuration.connection.endpoints.map(\.description).joined(separator: ","))",
            ]
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in limitReached {
                    pipeline.requestStop()
                    return
                }
            }
            defer { tasks.cancelAll() }
            try await group.run()
        }
        return Outcome(changes: handler.changesWritten, acknowledged: "\(pipeline.acknowledgedPosition)")
    }
}
