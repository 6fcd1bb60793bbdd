import Foundation
import PostgresCDC

/// The lines of `pgcdc failover status`: one fact each.
enum FailoverStatusReport {
    /// The facts of a status.
    /// - Parameters:
    ///   - status: the status.
    ///   - schema: the log tables' schema.
    /// - Returns: one line per fact.
    static func lines(_ status: LogTables.Status, schema: String) -> [String] {
        var lines = ["log tables: \(status.isInstalled ? "installed" : "not installed") (schema \(schema))"]
        lines.append("published tables: \(status.publishedTables.count)")
        let missing = status.tablesWithoutTriggers.map(\.description).joined(separator: ", ")
        lines.append("tables without trigger: \(missing.isEmpty ? "none" : missing)")
        lines.append("entries: \(status.entryCount) in \(status.transactionCount) transaction(s)")
        lines.append("size: \(Self.bytes(status.sizeInBytes))")
        lines.append("oldest entry: \(status.oldestEntry.map { Self.timestamp($0) } ?? "none")")
        lines.append("track_commit_timestamp: \(status.tracksCommitTimestamps ? "on" : "off")")
        return lines
    }

    /// A size in bytes, with the binary unit `slot list` uses: `8192 bytes (8.0 KiB)`.
    /// - Parameter count: the bytes.
    /// - Returns: the text.
    static func bytes(_ count: Int64) -> String {
        count < 1024 ? "\(count) bytes" : "\(count) bytes (\(SlotReport.bytes(count)))"
    }

    /// A timestamp in ISO 8601, UTC.
    /// - Parameter date: the date.
    /// - Returns: the text.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
