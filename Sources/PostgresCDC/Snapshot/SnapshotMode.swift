/// Whether a newly created slot's existing rows are copied before streaming (the initial snapshot).
///
/// The rows are read inside the snapshot the slot exported when it was created, so that the copy and the
/// stream meet exactly at the slot's consistent point: nothing committed before it is missed, nothing
/// committed after it appears twice.
public enum SnapshotMode: String, Sendable, Hashable, CaseIterable {
    /// When the pipeline creates the slot, copy every published row as a ``ChangeEvent/Operation/read``
    /// event, then stream. An existing slot is streamed without a copy. The default.
    case initial
    /// Never copy: stream only what commits after the slot's consistent point. Use this with
    /// ``ChangeHandler/slotCreated(_:)`` to run your own copy inside the exported snapshot.
    case never
    /// Like ``initial``, then stop without streaming: ``ChangeDataCapture/run()`` returns once the copy is
    /// done. A later run with ``initial`` streams from the slot's consistent point.
    case initialOnly = "initial-only"
}
