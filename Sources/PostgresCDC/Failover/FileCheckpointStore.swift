import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``CheckpointStore`` that keeps the checkpoint as a JSON file.
///
/// A save writes a temporary file next to the target, `fsync`s it, renames it over the target (atomic on POSIX
/// file systems) and `fsync`s the directory, so after a crash the file holds either the old or the new
/// checkpoint, never a mix, and a save that returned survives a power loss.
///
/// The calls block the calling thread for the duration of the file I/O (a few small writes and two `fsync`s).
public struct FileCheckpointStore: CheckpointStore {
    /// The checkpoint file.
    public let path: String

    /// Creates a store.
    /// - Parameter path: the checkpoint file; its directory must exist and be writable.
    public init(path: String) {
        self.path = path
    }

    /// Reads the checkpoint file.
    /// - Returns: the checkpoint, or `nil` when the file does not exist.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/checkpoint`` when the file cannot be read or is not a
    ///   checkpoint.
    public func load() async throws -> Checkpoint? {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: self.path))
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return nil
        } catch {
            throw CDCError(.checkpoint, "cannot read the checkpoint file \(self.path)", underlying: error)
        }
        do {
            return try JSONDecoder().decode(Checkpoint.self, from: data)
        } catch {
            throw CDCError(
                .checkpoint,
                "the checkpoint file \(self.path) is not a valid checkpoint; restore it or remove it to start over",
                underlying: error
            )
        }
    }

    /// Replaces the checkpoint file atomically and durably.
    /// - Parameter checkpoint: the checkpoint.
    /// - Throws: ``CDCError`` with code ``CDCError/Code/checkpoint`` when it cannot be written; the previous
    ///   checkpoint is then still in place.
    public func save(_ checkpoint: Checkpoint) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(checkpoint)
        } catch {
            throw CDCError(.checkpoint, "cannot encode the checkpoint", slot: checkpoint.slot, underlying: error)
        }
        let directory = (self.path as NSString).deletingLastPathComponent
        let temporary = self.path + ".tmp-\(getpid())-\(UUID().uuidString)"
        do {
            try Self.writeAndSync(data, to: temporary)
            guard rename(temporary, self.path) == 0 else {
                throw FileError(operation: "rename", path: self.path, errno: errno)
            }
            try Self.syncDirectory(directory.isEmpty ? "." : directory)
        } catch {
            _ = unlink(temporary)
            throw CDCError(
                .checkpoint,
                "cannot write the checkpoint file \(self.path)",
                slot: checkpoint.slot,
                lsn: checkpoint.lsn,
                underlying: error
            )
        }
    }

    /// A failed system call.
    struct FileError: Error, CustomStringConvertible {
        var operation: String
        var path: String
        var errno: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    private static func writeAndSync(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileError(operation: "open", path: path, errno: errno) }
        defer { _ = close(descriptor) }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileError(operation: "write", path: path, errno: errno)
                }
                offset += written
            }
        }
        guard fsync(descriptor) == 0 else { throw FileError(operation: "fsync", path: path, errno: errno) }
    }

    private static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(operation: "open", path: path, errno: errno) }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FileError(operation: "fsync", path: path, errno: errno) }
    }
}
