"""Benchmark consumer for pypgcdc (python-postgres-cdc): counts change events through its DataStore.

Environment: BENCH_DSN, BENCH_SLOT, BENCH_PUBLICATION, BENCH_COUNT (exact number of changes to wait for).
Exits 0 after exactly BENCH_COUNT change events (insert/update/delete/truncate) were handed to the DataStore.
The slot must exist (scripts/bench.sh creates it before the workload).
"""
import contextlib
import os
import sys

from pypgcdc import DataStore, LogicalReplicationReader, MetadataStore


class Done(Exception):
    """Raised from the DataStore once the wanted number of changes arrived."""


class CountingDataStore(DataStore):
    """A DataStore that only counts change events (no logging, no output)."""

    def __init__(self, target: int) -> None:
        super().__init__(quiet=True)
        self.target = target
        self.count = 0

    def handle_change_event(self, event, message) -> None:
        self.count += 1
        if self.count == self.target:
            raise Done()

    def handle_commit(self, txn, message) -> None:
        # Acknowledge as the default store does, without its logging.
        self.commit_callback(txn.begin_lsn)


def main() -> int:
    target = int(os.environ["BENCH_COUNT"])
    store = CountingDataStore(target)
    reader = LogicalReplicationReader(
        dsn=os.environ["BENCH_DSN"],
        publication_name=os.environ["BENCH_PUBLICATION"],
        slot_name=os.environ["BENCH_SLOT"],
        lsn=0,
        metadata_store=MetadataStore(),
        data_store=store,
    )
    with contextlib.suppress(Done):
        with reader:
            reader.consume_stream()
    print(f"events={store.count}")
    return 0 if store.count == target else 1


if __name__ == "__main__":
    sys.exit(main())
