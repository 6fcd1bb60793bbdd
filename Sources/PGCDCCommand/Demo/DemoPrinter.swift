import Foundation
import NIOCore
import PostgresCDC
import PostgresCDCSinks
import Synchronization

/// Shows the demo's stream for people: one line per change, colour on a terminal.
final class DemoPrinter: ChangeHandler {
    private struct Counts {
        var changes = 0
        var transactions = 0
        /// The end marker's transaction is not shown.
        var hideCommit = false
    }

    private let color: Bool
    private let onFinished: @Sendable () -> Void
    private let counts = Mutex(Counts())

    /// Creates the printer.
    /// - Parameters:
    ///   - color: use ANSI colours.
    ///   - onFinished: called when the workload's end marker arrives.
    init(color: Bool, onFinished: @escaping @Sendable () -> Void) {
        self.color = color
        self.onFinished = onFinished
    }

    /// The change events and transactions shown.
    var totals: (changes: Int, transactions: Int) {
        self.counts.withLock { ($0.changes, $0.transactions) }
    }

    func change(_ event: ChangeEvent) async throws {
        if event.operation == .message, event.message?.prefix == DemoWorkload.endMarkerPrefix {
            self.counts.withLock { $0.hideCommit = true }
            self.onFinished()
            return
        }
        self.counts.withLock { $0.changes += 1 }
        self.emit("  " + self.describe(event))
    }

    func commit(_ commit: CommittedTransaction, acknowledgement: Acknowledgement) async throws {
        let hidden = self.counts.withLock { counts in
            defer { counts.hideCommit = false }
            if !counts.hideCommit { counts.transactions += 1 }
            return counts.hideCommit
        }
        guard !hidden else { return }
        self.emit(
            self.paint(
                "  └ transaction \(commit.transaction.xid) committed at \(commit.commitLSN), "
                    + "\(commit.eventCount) event(s), acknowledged",
                "2"
            )
        )
    }

    /// A workload caption.
    /// - Parameter caption: what happens next.
    func announce(_ caption: String) {
        self.emit("\n" + self.paint("▶ \(caption)", "1;36"))
    }

    /// Writes a line to stdout at once.
    /// - Parameter line: the text.
    func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Text in an ANSI colour when colour is on.
    func paint(_ text: String, _ code: String) -> String {
        self.color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func describe(_ event: ChangeEvent) -> String {
        let table = event.table.map { "\($0.namespace).\($0.name)" } ?? ""
        switch event.operation {
        case .insert, .read:
            return self.paint("+ \(event.operation.rawValue)", "32") + " \(table) " + self.render(event.after)
        case .update:
            var line = self.paint("~ update", "33") + " \(table) key " + self.render(event.key)
            if let before = event.before, let after = event.after {
                line += " " + self.changes(from: before, to: after)
            } else {
                line += " → " + self.render(event.after)
            }
            return line
        case .delete:
            return self.paint("- delete", "31") + " \(table) key " + self.render(event.key)
        case .truncate:
            return self.paint("! truncate", "35") + " \(table)"
        case .message:
            let content = event.message.map { String(decoding: $0.content.readableBytesView, as: UTF8.self) } ?? ""
            return self.paint("✉ message", "34") + " \(event.message?.prefix ?? ""): \"\(content)\""
        }
    }

    /// `{"id":1,"name":"Ada"}`: values as `pgcdc stream` writes them.
    private func render(_ row: Row?) -> String {
        guard let row else { return "null" }
        var writer = JSONWriter()
        writer.beginObject()
        var first = true
        for (column, raw) in zip(row.columns, row.values) where !raw.isUnchangedToast {
            if !first { writer.comma() }
            first = false
            writer.writeKey(column.name)
            if let value = try? raw.decode(catalog: row.catalog) {
                writer.write(value)
            } else {
                writer.writeString(raw.rawText ?? "?")
            }
        }
        writer.endObject()
        return writer.string
    }

    /// `balance: "120.50" → "1120.75"` for each column whose value changed.
    private func changes(from before: Row, to after: Row) -> String {
        var parts: [String] = []
        for column in after.columns {
            let old = (try? before.value(column.name)) ?? nil
            let new = (try? after.value(column.name)) ?? nil
            guard let new, old.map({ Self.json($0) }) != Self.json(new) else { continue }
            parts.append("\(column.name): \(old.map { Self.json($0) } ?? "?") → \(Self.json(new))")
        }
        return parts.isEmpty ? "(no column changed)" : parts.joined(separator: ", ")
    }

    private static func json(_ value: PostgresValue) -> String {
        var writer = JSONWriter(capacity: 32)
        writer.write(value)
        return writer.string
    }
}
