import Foundation
import PostgresCDC

/// The initial snapshot's progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise.
enum SnapshotProgressReport {
    /// The width of the bar, in characters.
    static let barWidth = 20

    /// The callback for ``CDCConfiguration/snapshotProgress``.
    /// - Parameter terminal: whether stderr is a terminal (redraw one line with `\r`) or not (one line each).
    /// - Returns: the callback.
    static func printer(terminal: Bool) -> @Sendable (SnapshotProgress) -> Void {
        { progress in
            let text = Self.line(progress, bar: terminal)
            if terminal {
                // Clear the line, draw, and end it only when the table is done.
                let end = progress.isTableComplete ? "\n" : ""
                FileHandle.standardError.write(Data("\r\u{1B}[K\(text)\(end)".utf8))
            } else {
                Terminal.printError(text)
            }
        }
    }

    /// One report: `snapshot public.t [#####-----] 50% 1200 rows, 600 rows/s, ETA 0:02 (0 of 3 tables done)`.
    /// - Parameters:
    ///   - progress: the progress.
    ///   - bar: whether to draw the bar.
    /// - Returns: the text, without a newline.
    static func line(_ progress: SnapshotProgress, bar: Bool) -> String {
        let fraction = progress.isTableComplete ? 1 : min(1, max(0, progress.fractionComplete))
        var parts = ["snapshot \(progress.table)"]
        if bar {
            let filled = Int((fraction * Double(Self.barWidth)).rounded(.down))
            parts.append(
                "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: Self.barWidth - filled)
                    + "]"
            )
        }
        parts.append("\(Int((fraction * 100).rounded(.down)))%")
        var numbers = "\(progress.rowsRead) rows, \(Int(progress.rowsPerSecond.rounded())) rows/s"
        if progress.isTableComplete {
            numbers += ", done in \(Self.clock(progress.elapsed))"
        } else if let remaining = progress.estimatedTimeRemaining {
            numbers += ", ETA \(Self.clock(remaining))"
        } else {
            numbers += ", ETA unknown"
        }
        parts.append(numbers)
        parts.append("(\(progress.tablesCompleted) of \(progress.tableCount) tables done)")
        return parts.joined(separator: " ")
    }

    /// A duration as `m:ss`, or `h:mm:ss` from an hour on.
    /// - Parameter duration: the duration.
    /// - Returns: the text.
    static func clock(_ duration: Duration) -> String {
        let total = max(0, Int(duration.components.seconds))
        let (hours, minutes, seconds) = (total / 3600, total % 3600 / 60, total % 60)
        let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(seconds))" : "\(minutes):\(twoDigits(seconds))"
    }
}
