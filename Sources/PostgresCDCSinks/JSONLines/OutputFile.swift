import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where JSON lines go: standard output or a file, written with `write(2)` and made durable with `fsync(2)`.
///
/// A value type around a file descriptor: copies share the descriptor; ``close()`` it once.
public struct OutputFile: Sendable {
    /// The file descriptor.
    public let descriptor: Int32
    /// The path, or `nil` for standard output.
    public let path: String?
    /// Whether ``synchronize()`` calls `fsync` (regular files); pipes and terminals cannot be synced.
    public let isSyncable: Bool

    /// Standard output.
    public static var standardOutput: OutputFile {
        OutputFile(descriptor: STDOUT_FILENO, path: nil)
    }

    private init(descriptor: Int32, path: String?) {
        self.descriptor = descriptor
        self.path = path
        var status = stat()
        self.isSyncable = fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// Opens (creating it when missing) a file to append lines to.
    /// - Parameter path: the file.
    /// - Returns: the open file.
    /// - Throws: ``OutputError`` when the file cannot be opened.
    public static func appending(to path: String) throws(OutputError) -> OutputFile {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutputError(.open, path: path, errno: errno)
        }
        return OutputFile(descriptor: descriptor, path: path)
    }

    /// Writes all bytes, retrying short writes and interrupted calls.
    /// - Parameter bytes: the bytes.
    /// - Throws: ``OutputError`` when the write fails (for example a closed pipe or a full disk).
    public func write(_ bytes: [UInt8]) throws(OutputError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                #if canImport(Glibc)
                Glibc.write(self.descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                #else
                Darwin.write(self.descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                #endif
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw OutputError(.write, path: self.path, errno: errno)
            }
            offset += written
        }
    }

    /// Makes what was written durable: `fsync` for a regular file; nothing for a pipe or terminal, where a
    /// completed `write` already handed the bytes to the reader.
    /// - Throws: ``OutputError`` when `fsync` fails.
    public func synchronize() throws(OutputError) {
        guard self.isSyncable else { return }
        if fsync(self.descriptor) != 0 {
            throw OutputError(.sync, path: self.path, errno: errno)
        }
    }

    /// Closes a file opened with ``appending(to:)``; standard output stays open.
    public func close() {
        guard self.path != nil else { return }
        #if canImport(Glibc)
        _ = Glibc.close(self.descriptor)
        #else
        _ = Darwin.close(self.descriptor)
        #endif
    }
}

/// A failure to open, write or sync the output.
public struct OutputError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// Opening the file.
        public static let open = Code("open")
        /// Writing.
        public static let write = Code("write")
        /// `fsync`.
        public static let sync = Code("sync")
        /// The operation's name.
        public var description: String { self.name }
    }

    /// What failed.
    public var code: Code
    /// The file, or `nil` for standard output.
    public var path: String?
    /// The `errno` value.
    public var errno: Int32

    /// Creates an error.
    /// - Parameters:
    ///   - code: what failed.
    ///   - path: the file, `nil` for standard output.
    ///   - errno: the `errno` value.
    public init(_ code: Code, path: String?, errno: Int32) {
        self.code = code
        self.path = path
        self.errno = errno
    }

    /// One sentence: what failed, where and why.
    public var description: String {
        let target = self.path.map { "file \($0)" } ?? "standard output"
        let reason = String(cString: strerror(self.errno))
        switch self.code {
        case .open: return "could not open \(target) for writing: \(reason)"
        case .sync: return "could not fsync \(target): \(reason)"
        default: return "could not write to \(target): \(reason)"
        }
    }
}
