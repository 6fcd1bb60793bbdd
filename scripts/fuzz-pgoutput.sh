#!/usr/bin/env bash
# Fuzzes the pgoutput decoder with libFuzzer + AddressSanitizer.
#
#   scripts/fuzz-pgoutput.sh [seconds]     (default 120)
#
# Builds the PGOutputFuzz target in its own scratch path (.build-fuzz) with -sanitize=fuzzer,address, seeds a corpus
# from the recorded fixtures (Tests/PGOutputTests/Fixtures/*.hex) and runs for the given time. Crash inputs land in
# .build-fuzz/artifacts/; replay one with `swift run PGOutputFuzz <file>`.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-120}"
scratch="$here/.build-fuzz"
corpus="$scratch/corpus"
artifacts="$scratch/artifacts"
mkdir -p "$corpus" "$artifacts"

cd "$here"
swift build -c debug --scratch-path "$scratch" --product PGOutputFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DPGOUTPUT_FUZZ
binary="$(swift build -c debug --scratch-path "$scratch" --show-bin-path)/PGOutputFuzz"

# Seeds: for each fixture, windows of up to 12 consecutive messages in the fuzz input layout (a control byte with
# the fixture's protocol version, then UInt16 length + bytes per message).
python3 - "$here/Tests/PGOutputTests/Fixtures" "$corpus" <<'PY'
import os, struct, sys
fixtures, corpus = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(fixtures)):
    if not name.endswith(".hex"):
        continue
    version, messages = 1, []
    for line in open(os.path.join(fixtures, name)):
        if line.startswith("# protocol: "):
            version = int(line.split(":")[1])
        elif not line.startswith("#") and line.strip():
            data = bytes.fromhex(line.rstrip("\n").split("\t")[2])
            if len(data) < 65536:
                messages.append(data)
    windows = [messages[i:i + 12] for i in range(0, min(len(messages), 240), 6)]
    for index, window in enumerate(windows):
        blob = bytes([version - 1]) + b"".join(struct.pack(">H", len(m)) + m for m in window)
        with open(os.path.join(corpus, f"{name[:-4]}-{index:03d}"), "wb") as seed:
            seed.write(blob)
PY

"$binary" "$corpus" -max_total_time="$seconds" -max_len=8192 -artifact_prefix="$artifacts/" -print_final_stats=1
