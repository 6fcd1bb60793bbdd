import Foundation
import NIOCore
import PGOutput
import PostgresCDC
import PostgresCDCSinks
import PostgresWire

/// A micro-benchmark of the client's hot path on recorded bytes, without a server: pgoutput decoding, then
/// decoding + typing every column, then decoding + typing + JSON lines encoding.
///
/// It loads the recorded pgoutput sessions `Tests/PGOutputTests/Fixtures/*.hex` and replays all of them
/// `--iterations` times per stage, printing one line per stage: bytes, change events, seconds, MB/s, events/s
/// and ns/event. Allocations per event are counted from outside by `scripts/bench.sh` (valgrind's heap
/// summary at two iteration counts; the difference divided by the extra events).
///
/// Usage: pgcdc-microbench [--fixtures DIR] [--iterations N] [--stage decode|typed|json|all]
@main
enum PGCDCMicrobench {
    static func main() {
        var arguments = CommandLine.arguments.dropFirst()
        var fixtures = "Tests/PGOutputTests/Fixtures"
        var iterations = 2000
        var stage = "all"
        while let argument = arguments.popFirst() {
            guard let value = arguments.popFirst() else { usage() }
            switch argument {
            case "--fixtures": fixtures = value
            case "--iterations":
                guard let count = Int(value), count > 0 else { usage() }
                iterations = count
            case "--stage": stage = value
            default: usage()
            }
        }
        do {
            let sessions = try RecordedSession.load(directory: fixtures)
            let stages: [Stage] =
                stage == "all" ? Stage.allCases : [Stage(rawValue: stage)].compactMap { $0 }
            guard !stages.isEmpty else { usage() }
            for stage in stages {
                let result = try Replay(sessions: sessions, stage: stage).run(iterations: iterations)
                print(result.line)
            }
        } catch {
            FileHandle.standardError.write(Data("pgcdc-microbench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data(
                "usage: pgcdc-microbench [--fixtures DIR] [--iterations N] [--stage decode|typed|json|all]\n".utf8
            )
        )
        exit(2)
    }
}
