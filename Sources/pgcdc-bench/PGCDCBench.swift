import Foundation
import Logging
import PGOutput
import PostgresCDC
import PostgresWire
import Synchronization

/// The library's own event loop with no output: counts (and optionally types) change events until a given
/// number arrived, then prints one line of figures. Used by the benchmarks (`scripts/bench.sh`) and to measure
/// memory on huge transactions (`/usr/bin/time -v`).
///
/// Usage: pgcdc-bench --dsn DSN --slot SLOT --publication PUB --count N [--typed] [--binary] [--streaming]
///        [--protocol-version V]
@main
enum PGCDCBench {
    static func main() {
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await run()
            done.signal()
        }
        done.wait()
    }

    static func run() async {
        var arguments = CommandLine.arguments.dropFirst()
        var options: [String: String] = [:]
        var flags = Set<String>()
        while let argument = arguments.popFirst() {
            if ["--typed", "--binary", "--streaming"].contains(argument) {
                flags.insert(argument)
            } else if let value = arguments.popFirst() {
                options[argument] = value
            }
        }
        guard let dsn = options["--dsn"], let slot = options["--slot"], let publication = options["--publication"],
            let count = options["--count"].flatMap({ Int($0) })
        else {
            FileHandle.standardError.write(
                Data(
                    "usage: pgcdc-bench --dsn DSN --slot SLOT --publication PUB --count N [--typed] [--binary] [--streaming] [--protocol-version V]\n"
                        .utf8
                )
            )
            exit(2)
        }
        do {
            var configuration = CDCConfiguration(
                connection: try ConnectionSettings.parse(dsn),
                slot: slot,
                publications: [publication]
            )
            configuration.createSlot = false
            configuration.binary = flags.contains("--binary")
            configuration.streaming = flags.contains("--streaming")
            if let version = options["--protocol-version"].flatMap({ Int($0) }) {
                configuration.protocolVersion = .init(rawValue: version)
            }
            var logger = Logger(label: "pgcdc-bench")
            logger.logLevel = .warning
            let handler = CountingHandler(target: count, typed: flags.contains("--typed"))
            let pipeline = ChangeDataCapture(configuration: configuration, handler: handler, logger: logger)
            handler.onDone = { pipeline.requestStop() }
            let start = ContinuousClock.now
            try await pipeline.run()
            let elapsed = start.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let events = handler.count
            print(
                String(
                    format: "events=%d seconds=%.3f events_per_second=%.0f",
                    events,
                    seconds,
                    Double(events) / max(seconds, 1e-9)
                )
            )
        } catch {
            FileHandle.standardError.write(Data("pgcdc-bench: \(error)\n".utf8))
            exit(1)
        }
    }
}

/// Counts changes; with `typed`, decodes every column of every row.
final class CountingHandler: ChangeHandler, @unchecked Sendable {
    // Safe: the pipeline calls a handler one callback at a time; `onDone` is set before `run()`.
    let target: Int
    let typed: Bool
    private(set) var count = 0
    var onDone: (@Sendable () -> Void)?
    var sink = 0

    init(target: Int, typed: Bool) {
        self.target = target
        self.typed = typed
    }

    func change(_ event: ChangeEvent) async throws {
        if self.typed, let row = event.after {
            for (_, value) in try row.typedValues() {
                if case .null = value { self.sink &+= 1 }
            }
        }
        self.count += 1
        if self.count == self.target { self.onDone?() }
    }
}
