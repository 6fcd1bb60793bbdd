import Foundation

/// A clock whose time moves only when a test says so.
public final class ManualClock: Clock, @unchecked Sendable {
    // Safe: `current` is only accessed under `lock`.
    public struct Instant: InstantProtocol {
        /// Time since the clock's start.
        public var offset: Duration

        public func advanced(by duration: Duration) -> Instant { Instant(offset: self.offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - self.offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let lock = NSLock()
    private var current = Instant(offset: .zero)

    /// Creates a clock at offset zero.
    public init() {}

    /// The current instant.
    public var now: Instant { self.lock.withLock { self.current } }
    /// The clock's resolution.
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// Moves the time forward.
    /// - Parameter duration: how far.
    public func advance(by duration: Duration) {
        self.lock.withLock { self.current = self.current.advanced(by: duration) }
    }

    /// Not used by the state machines (they never sleep); returns once the time has been advanced past the deadline.
    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        while self.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
