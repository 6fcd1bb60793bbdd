import ArgumentParser
import Foundation
import Logging

/// The command line's side channels: logs and errors on stderr, colour only for terminals.
enum Terminal {
    /// A logger writing to stderr.
    /// - Parameter level: the lowest level written.
    /// - Returns: the logger.
    static func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "pgcdc") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = level
        return logger
    }

    /// Writes a line to stderr.
    /// - Parameter line: the text, without the newline.
    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Reports a failure as one sentence on stderr.
    /// - Parameter error: what failed.
    /// - Returns: the exit code to throw (1).
    static func fail(_ error: any Error) -> ExitCode {
        self.printError("pgcdc: \(error)")
        return ExitCode.failure
    }

    /// Whether a file descriptor is a terminal (colour is used only then, and never with `NO_COLOR`).
    /// - Parameter descriptor: the descriptor.
    /// - Returns: whether to use colour.
    static func usesColor(_ descriptor: Int32) -> Bool {
        isatty(descriptor) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }
}
