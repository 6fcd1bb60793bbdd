import ArgumentParser
import Foundation
import Logging
import PostgresCDC
import ServiceLifecycle
import UnixSignals

/// `pgcdc demo`: a throwaway PostgreSQL, a small shop, and its change stream, live.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show CDC on a throwaway PostgreSQL: no flags, no setup; cleans up after itself (also on Ctrl-C)."
    )

    func run() async throws {
        let logger = Terminal.logger(level: Environment.process.flag("PGCDC_DEMO_DEBUG") == true ? .debug : .warning)
        let demo = Demo(color: Terminal.usesColor(1), logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: demo, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            throw Terminal.fail(error)
        }
    }
}

/// The demo as a `Service`: on SIGINT/SIGTERM it stops the stream, the workload and the server, and removes
/// the files.
struct Demo: Service {
    let color: Bool
    let logger: Logger

    func run() async throws {
        let out = DemoPrinter(color: self.color, onFinished: {})
        out.emit(
            out.paint("pgcdc demo", "1") + ": Change Data Capture from PostgreSQL, on a throwaway server.\n"
                + "Starting PostgreSQL (temporary directory, loopback only, random password)..."
        )
        let cluster = try DemoCluster.start(environment: .process)
        out.emit("PostgreSQL \(cluster.majorVersion) runs on \(cluster.displayDSN), files in \(cluster.baseDirectory).")
        do {
            try await self.show(on: cluster)
        } catch {
            out.emit("Stopping PostgreSQL and removing \(cluster.baseDirectory).")
            cluster.stop()
            throw error
        }
        out.emit("Stopping PostgreSQL and removing \(cluster.baseDirectory).")
        cluster.stop()
        out.emit(Self.outro)
    }

    private func show(on cluster: DemoCluster) async throws {
        let settings = cluster.settings
        try await DemoWorkload.prepare(settings, logger: self.logger)
        let (finished, finishedContinuation) = AsyncStream<Void>.makeStream()
        let printer = DemoPrinter(color: self.color) {
            finishedContinuation.yield()
            finishedContinuation.finish()
        }
        printer.emit(
            """

            Created tables customers and customer_properties, publication \(DemoWorkload.name) and replication slot \
            \(DemoWorkload.name).
            A workload now changes the shop (▶ lines); each change arrives from the replication stream as a typed \
            event:
              + insert  ~ update (old → new values)  - delete (by key)  ! truncate  ✉ logical message
            pgcdc stream prints the same events as JSON lines (docs/events.md).
            """
        )
        var configuration = CDCConfiguration(
            connection: settings,
            slot: DemoWorkload.name,
            publications: [DemoWorkload.name]
        )
        configuration.messages = true
        configuration.createSlot = false
        configuration.reconnect = .never
        let pipeline = ChangeDataCapture(configuration: configuration, handler: printer, logger: self.logger)
        let logger = self.logger

        let workloadError: (any Error)? = try await withThrowingTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do {
                    try await DemoWorkload.run(settings, pause: .milliseconds(600), logger: logger) { caption in
                        printer.announce(caption)
                    }
                    // The stream normally reaches the end marker within a second (which cancels this wait); a
                    // stream that has not after 30 s stalled: stop it and fail, never report a partial run as done.
                    try await Task.sleep(for: .seconds(30))
                    pipeline.requestStop()
                    return DemoError(
                        .toolFailed,
                        "the change stream did not reach the end of the demo workload within 30 s"
                    )
                } catch is CancellationError {
                    return nil
                } catch {
                    pipeline.requestStop()
                    return error
                }
            }
            group.addTask {
                for await _ in finished {
                    pipeline.requestStop()
                    break
                }
                return nil
            }
            try await withGracefulShutdownHandler {
                try await pipeline.run()
            } onGracefulShutdown: {
                pipeline.requestStop()
            }
            group.cancelAll()
            var first: (any Error)?
            for try await error in group where first == nil {
                first = error
            }
            return first
        }
        if let workloadError { throw workloadError }
        let totals = printer.totals
        printer.emit(
            "\nThe stream showed \(totals.changes) change(s) in \(totals.transactions) transaction(s). "
                + "Dropping slot \(DemoWorkload.name)."
        )
        await DemoWorkload.dropSlot(settings, logger: self.logger)
    }

    static let outro = """

        Done. To stream your own database:
          1. postgresql.conf: wal_level = logical (then restart); a role with REPLICATION (or a superuser).
          2. CREATE PUBLICATION my_pub FOR TABLE orders, customers;
          3. pgcdc doctor --dsn 'postgres://user:password@host:5432/db' --publication my_pub
          4. pgcdc stream --dsn 'postgres://user:password@host:5432/db' --publication my_pub --slot my_slot
        Every option also reads an environment variable (PGCDC_DSN, PGCDC_SLOT, ...): see pgcdc stream --help.
        """
}
