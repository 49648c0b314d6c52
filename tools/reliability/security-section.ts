// The hand-written RELIABILITY.md section on access control and errors that must never turn into success (issue 11), kept by the renderer.

export const SECURITY_SECTION = `## Access control and errors that must stay errors (hand-written)

Kept as written by \`npm run reliability\` (src/reliability/security-section.ts); scenarios 13 to 16 below are the same tests' live figures. "Before" is main at 5efe5b4, checked by running the new tests against that build.

| fault class | test | before | after |
|---|---|---|---|
| a host not on \`-m\` sends Query Config set/force set, Mac Mask edits, Reserve/Release and ATA (aoecfg and aoe from a second NIC) | test/reliability/allow-list.integration.test.ts, test/blade/control.test.ts | config string, mask list and reservation changed and saved to --state-dir; it could add itself to the mask and write | no answer to any command (vblade's order: the mask before dispatch); 8 attempts from the CLI tools, 9 raw frames, 0 answered; state, data and state file unchanged |
| a mask edit that hits ListFull or a bad directive | test/blade/control.test.ts | the directives before the failing one stayed applied | nothing changes; MError and the failing index are reported |
| \`aoe reserve --set self\` on a host with two NICs | test/reliability/allow-list.integration.test.ts | error 6, a reservation for one NIC only (with --force: only the last NIC) | one Reserve command per target listing both local MACs; I/O goes on over both paths |
| a write-back error under FLUSH (loop device over a 4 MiB tmpfs) | test/reliability/write-back.integration.test.ts, test/blade/write-failure.test.ts, test/initiator/flush.test.ts | FLUSH EXT failed with ABRT, the initiator retried FLUSH CACHE, the second fdatasync returned 0: \`aoe copy\` exited 0 with 12 of 16 MiB lost | the failure is sticky per export (every later FLUSH fails, UNC); the initiator falls back to 0xE7 only for a bare ABRT before any EXT succeeded; \`aoe copy\` exits 1 naming ERR_ATA_UNC; NBD clients get EIO |
| \`aoe copy\` from a pipe, to a pipe, with \`-\` | test/copy/pipes.integration.test.ts, test/copy/pipeline.test.ts | 0 bytes copied, exit 0; \`-\` was a file; ESPIPE and a stack trace | 64 MiB through stdin and back through stdout, sha256 equal; a short source is ERR_AOE_SHORT_COPY; a reader that goes away is EPIPE, exit 1 |
| two different disks (64 MiB, 1 MiB) behind one shelf.slot | test/copy/pipes.integration.test.ts, test/initiator/identity.test.ts | merged: exit 0 with the two disks' chunks interleaved | ERR_AOE_CONFLICT naming both paths, nothing copied; discovery lists both sides; \`-i\` picks one |`;
