// The server benchmark's printed report and its page, docs/performance-server.md.

import { type CreateProbe, FAST_CREATE_MICROS } from './create-probe.js';
import { markdownTable, textTable } from './report.js';
import {
  cpuPerGiBTable,
  detailTable,
  IDLE_TARGET_MIB,
  idleTable,
  RSS_TARGET_MIB,
  runsTable,
  type ServerResults,
  summaryTable,
  verdict,
} from './server-report.js';

export interface ServerRunInfo {
  readonly date: string;
  /** `git describe --always --dirty` of the code measured. */
  readonly commit: string;
  readonly machine: string;
  readonly node: string;
  readonly openssh: string;
  readonly runs: number;
  readonly warmup: number;
  readonly largeMib: number;
  /** One-minute load average before and after the measurements. */
  readonly load: readonly [number, number];
  /** Duration of the whole benchmark, set-up included. */
  readonly minutes: number;
  /** `os.tmpdir()`, where the files lived. */
  readonly workDir: string;
  /** What each server agreed on with the client, one line each. */
  readonly algorithms: readonly string[];
  /** Creating a file in the work directory, before the small-file rows; none when they did not run. */
  readonly creates: CreateProbe | undefined;
}

function createsLine(creates: CreateProbe | undefined): string {
  if (!creates) return '';
  const waited =
    creates.waitedSeconds >= 1
      ? ` once it was fast (after ${creates.waitedSeconds.toFixed(0)} s)`
      : '';
  const slow =
    creates.micros > FAST_CREATE_MICROS
      ? ' It was still slow when the wait gave up: see the variance under "What holds us back".'
      : '';
  return `- Creating an empty file in the work directory took ${creates.micros.toFixed(0)} µs before the small-file rows started${waited}.${slow}\n`;
}

type Table = { readonly head: string[]; readonly body: string[][] };

/** The tables as the benchmark prints them. */
export function textSummary(results: ServerResults, info: ServerRunInfo): string {
  const text = (t: Table) => textTable(t.head, t.body);
  const parts = [
    `Against the targets (ours ÷ sshd; CPU is server CPU, ours / sshd), ${info.minutes.toFixed(1)} min:`,
    '',
    text(summaryTable(results)),
    '',
    'Median time and rate of each row, median server CPU seconds, largest peak RSS:',
    '',
    text(detailTable(results)),
    '',
    text(cpuPerGiBTable(results)),
    '',
  ];
  if (results.idle) parts.push(text(idleTable(results.idle)), '');
  return parts.join('\n');
}

function missed(results: ServerResults): string {
  const rows = summaryTable(results).body.filter((r) => r.at(-1) === 'MISSED');
  if (rows.length === 0) return 'Every target with a figure in this run is met.';
  return [
    'Missed in this run:',
    '',
    ...rows.map((r) => `- ${r[0]}: ${[r[1], r[2]].filter(Boolean).join('; CPU ')}`),
  ].join('\n');
}

/** Why targets are missed, from the runs and from profiles of the server; kept by hand. */
const READING = `## What holds us back

Read from the runs above and from CPU profiles of ours
(\`pnpm bench:server --only large --profile DIR\`, and the same for \`scp\` and
\`small\`); kept by hand, so check it against the tables after a rerun. On two
cores the clients (\`sftp\` and \`ssh\`, \`scp\`, \`rsync\`) compete with the server
for the CPU, and other work on the machine adds noise: compare the runs of
each figure.

- **Memory meets its target, with little to spare.** A freshly started
  \`sftpgo serve\` holds about 85 to 90 MiB of RSS. 49 MiB of it are pages
  of files, 43 MiB of them Node's own binary, shared with every Node
  process (a bare \`node\` touches 34 MiB of its files; the server's code
  paths and ICU's data touch more); the other 36 to 44 MiB are its own:
  V8's heap (31 MiB, 23 MiB in use), compiled
  code and the native modules' memory. V8 used to double its young
  generation up to 32 MiB while the server loaded its code, and kept it as
  long as the server was busy: the commands now keep it at the 2 MiB it
  starts with (\`apps/server/src/gc-settings.ts\`). That took a started
  server from 115 to 93 MiB and the peak of a first 1 GiB download from 165
  to 135 MiB (RSS and V8's figures sampled every 250 ms). It costs more
  frequent collections: in a profile of \`--only small\` the collector's share
  of the busy time went from 3.6% to 9.2%, within the spread of the timed
  runs (ours ÷ sshd CPU for \`put -r\`, two runs of three each: 1.42x and 2.08x
  with the small young generation, 1.73x and 1.78x without).

  What a transfer adds lies outside V8's heap. ssh2 used to allocate every
  packet it sent, and our engine every reply to a 32 KiB read: a \`malloc\`
  of 32 KiB each, freed only when V8 collected. Both now reuse their memory:
  the packets are cut from 1 MiB slabs taken up again once the socket has
  written them (\`packages/sftpd/src/packet-arena.ts\`), and the replies come
  from the session's pool. What remains comes in. \`heaptrack\` (Debian's
  package, wrapping the server's \`node\`) over a 1 GiB upload and then a
  download put malloc's peak at 61 MiB, and its two largest users, each at
  its own peak, were buffers that data arrives in: 30 MiB that Node
  allocates for each read from the socket (\`allocate_managed_buffer\`, 64
  KiB a read, 16,808 reads by then) and 23 MiB of \`Buffer.allocUnsafe\` on
  the read path, every large one of them ssh2's AES-GCM decipher copying a
  packet that two reads split (its \`_packet\`: 8,076 of them, 250 MiB in
  all, over a 512 MiB upload). That memory is freed only when V8 collects
  the objects that point to it, and V8 collects the young generation by
  what its own heap allocates, which is little for the data an upload
  moves: with \`--trace-gc-nvp\`, a 512 MiB upload took 28 collections of
  the young generation (one per 18 MiB received) and 13 of the whole heap,
  which V8 starts once the memory outside its heap has grown by tens of
  MiB.

  Two changes of this build bring the peaks down. The commands collect
  the young generation once every 4 MiB received over SSH
  (\`apps/server/src/collections-by-bytes.ts\`, through \`SftpServer\`'s
  \`onBytesReceived\`), so that the buffers are freed as the data goes. Not
  more often: with a collection every 2 MiB, data that a paused channel
  holds lived through two collections, which moves it to the old
  generation, and \`scp -O\` uploads peaked higher than without (146 to 160
  MiB). And the transfer events, objects of every file that lived on in the
  old generation, are built otherwise (see "Small files" below). Over four
  512 MiB transfers in a row on one server (\`sftp\` put, get, put, get,
  then the same with \`scp -O\`), the peaks went from 141 to 157 MiB for
  sftp and 126 to 136 for scp before these changes to 113 to 126 and 113
  to 122 after. What sessions that have ended leave behind waits for a
  collection of the whole heap, which the young collections put off: a
  full collection forced between those transfers took 5 to 15 MiB off the
  later peaks. Handing an ended session's pool buffers to the next
  sessions did as much without one, but added 60 to 100 MiB to the peak of
  the 20 concurrent downloads (674 to 730 MiB, against 566 to 622), and was
  taken back.

  The downloads held the most, and not for want of a collection.
  OpenSSH's client asks for as much as the server's \`limits@openssh.com\`
  allows, 255 KiB a READ, 64 requests at once, and the engine read all 16
  MiB from the disk into buffers of 256 KiB that then waited for the
  channel's window (held at about 1.1 MiB by the pacing below). The
  session kept those buffers for its life, and replies that were ready
  together were each copied into one more on their way to the channel.
  The engine now counts the data that the READs it is serving will reply
  as output already queued, and stops reading requests at 1 MiB of it,
  about five such READs ahead; and a reply too large to join with the next
  is written as it is (\`packages/sftp-protocol/src/session.ts\`). Taking
  turns with the build before over the same minutes (\`--only large\`), the
  peaks of the six sftp rows went from 134 to 136 MiB to 107 to 127, and the
  downloads went no slower (1.02x to 1.08x sshd's speed before, 1.15x to
  1.41x after).

  In the full run above, where the server first holds 1,000 idle sessions
  and then serves every figure in turn, ours peaked at 104 to 114 MiB
  during the sftp transfers (107 to 123 in a full run of the build before
  the third collection below; 108 to 122, 113 to 131, 122 to 129 and 123
  to 157 in the earlier full runs), at 102 and 128 during the scp download
  and upload (111 and 123, then 120 and 136, in those two runs before), and
  at 127 during rsync's upload (124, then 132). Three collections of the
  whole heap that the commands now ask for, and one thread for V8's
  background work (below), did most of that.

  The first is for what ended sessions leave. Each leaves some 20 KB in
  V8's old generation, which V8 collects once that has grown past its
  limit or the process has idled a while (its memory reducer, some
  seconds later). In trials of 1,000 idle sessions, the server held 99 to
  101 MiB two seconds after they had closed when V8 had collected by then,
  and 123 to 126 MiB when it had not: V8's heap held 46 MiB instead of 24,
  and array buffers 5 MiB more; the next large transfer started from
  there. One collection of the whole heap then (\`gc()\`) freed those
  objects but left V8 the pages they had emptied: 125 MiB became 120. A
  second one, 100 ms later, moved what lived on those pages and gave them
  back: 102 MiB. (Node 20's \`gc({ type: 'major' })\` collects only the
  young generation; \`gc()\` collects the whole heap.) The commands now
  collect twice one second after 256 connections have closed, at most
  once in ten seconds (\`apps/server/src/heap-collection-after-closes.ts\`,
  through \`SftpServer\`'s \`onConnectionClosed\`), 20 to 40 ms each. The
  first transfer after the idle sessions peaked at 131 MiB before, and at
  104 in this run.

  The second is for what a transfer moves to the old generation. Data
  that lives through two collections of the young generation all the same
  (a WRITE's data waiting for the disk, a paused channel's) waits there,
  and V8 starts on it once the memory outside its heap has grown by tens of
  MiB: sampled between three 1 GiB transfers in a row, the server's array
  buffers held 8, then 13, then 17 MiB, and 3 after a collection of the
  whole heap. After each collection of the young generation, the commands
  now have V8 collect the whole heap once the memory outside it has grown
  by 4 MiB from its lowest since the last such collection, at most once a
  second (\`apps/server/src/collections-by-bytes.ts\`). In four 1 GiB uploads
  in a row (two with \`scp -O\`, two with \`sftp\`), the peaks went from 119
  to 130 MiB to 115 to 125, for 25 collections of the whole heap in 326
  ms, against 18 in 110 ms. Not more often: collected at each 4 MiB of
  growth, an \`scp -O\` upload, which moves much of what it receives to the
  old generation, took 150 collections and 6 s of server CPU per GiB,
  against 2.

  The third is for what an upload's last second leaves. Collected once a
  second at most, an upload ends with up to a second's worth of its data
  in the old generation, and a download, which receives little, starts no
  collection by bytes: in a run of \`--only idle,large\`, the
  chacha20-poly1305 downloads that follow the aes128-gcm uploads peaked at
  120 to 124 MiB, with 24 MiB of array buffers and glibc's heap at 39 MiB
  (each new high sampled with the server's memory map). The commands now
  also collect the whole heap one second after the data has stopped, if the
  memory outside V8's heap has grown by 1 MiB since it was last lowest
  (\`apps/server/src/collections-by-bytes.ts\`); in the next run of the
  same figures those downloads peaked at 101 to 106 MiB, the six sftp rows
  at 101 to 114 against 101 to 124, at the same speed and CPU.

  What remains is mostly glibc's. After four transfers, \`malloc_stats()\`
  (called from \`gdb -p\`) showed malloc's main arena at 33 MiB, 26 of them
  in use, against 9 MiB at the start. glibc gives a block a mapping of its
  own, returned when freed, only above a threshold that it raises to the
  size of each such block freed, and V8's optimizing compiler frees zones
  of 830 KiB while the server starts: every buffer smaller than that is
  carved from the heap, where what is freed stays. With the threshold fixed
  (\`MALLOC_MMAP_THRESHOLD_=131072\`), two trials of the four sftp transfers
  peaked at 100 to 115 and 109 to 122 MiB, against 107 to 126 without it
  in trials of the same builds: not clearly lower, and not recommended.
  What a collection frees goes back to glibc, which keeps it for the next
  allocations: in one trial, two collections after three transfers took
  the array buffers from 17 to 3 MiB and the RSS only from 119.5 to 118.5
  MiB, and the next two transfers peaked at 120 MiB. The transfers' peaks
  are glibc's heap at its fullest, and the change that would lower it
  is the one made for the packets sent, on the receiving side: the socket
  read into memory that is used again (Node's \`onread\` option, which a
  server's sockets do not take). That is safe only once nothing keeps a
  view of a read after it has been handled, and ssh2 decrypts in place and
  hands such views on: to a channel's buffer while the channel is paused,
  to the handlers of authentication (keys and signatures), and through the
  channel to our engine, which holds a WRITE's data until it is on disk.
  ssh2 would have to copy what it keeps, and our engine what it holds,
  before the socket's memory could be reused. The 16 MiB of external
  memory an idle server reports is ssh2's Poly1305 WebAssembly memory,
  reserved and hardly touched.

  Part of glibc's share was V8's threads. glibc gives each thread that
  allocates an arena of its own, and each arena keeps the most it has
  held: after four 1 GiB transfers, the server's memory map showed four
  arenas of 1.3 to 1.7 MiB besides the main one, those of V8's four worker
  threads, which compile the functions that run most (the collector works
  on the main thread). Folded into the main arena
  (\`GLIBC_TUNABLES=glibc.malloc.arena_max=1\`), four transfers in a row
  (\`sftp\` put, get, put, get; sampled every 50 ms) peaked at 102 to 108
  MiB against 107 to 117 in the same minutes; with one worker thread
  (\`--v8-pool-size=1\`), one arena, at 101 to 110 against 105 to 120 in
  three rounds each, at the same speed and CPU, and \`put -r\` and \`get
  -r\` no slower. Node takes that flag only on its command line, so the
  commands carry it on their first line (\`#!/usr/bin/env -S node
  --v8-pool-size=1\`), and this benchmark starts ours with it. Setting
  glibc's thresholds instead costs more than it saves: with every block of
  64 KiB or more given a mapping of its own
  (\`glibc.malloc.mmap_threshold=65536\`) four uploads peaked at 100 to
  104 MiB and took three times as long, each socket read a mapping made
  and unmade; with the trim threshold fixed at 128 KiB, 103 to 108 MiB,
  also three times as long; and jemalloc (\`LD_PRELOAD\`) peaked higher,
  at 121 to 136 MiB.

  With \`sftpd.workers\` 0 on two cores, the main process and its two workers
  peaked at 293 MiB together during the 20 concurrent downloads of this
  run, each holding its own code and heap, where sshd's processes took
  305; before the READs being served were counted, each session held its
  16 MiB of replies, and the three processes peaked at 540 to 730 MiB. sshd's session processes peak at 16 to 26
  MiB. Idle sessions are the opposite: 0.03 to 0.06 MiB each for ours, a few
  objects in one process, where each sshd session is two processes (14 MiB
  of RSS, 1.8 MiB of PSS once shared pages are split).
- **This virtual machine varies more than the targets' margins, and part
  of what we took for its variance was V8's helper threads** (see
  "V8's helper threads" below). With the
  same code, the scp -O upload took 1.4 s of our server's CPU per GiB in one
  full run and 4.6 s in the next, where sshd's stayed at 1.8 to 1.9 s; the
  scp figures run alone right after took 1.6 to 1.8 s. The other large
  transfers moved the same way between those two runs. The state lasts for a
  whole invocation: three invocations of \`--only scp --runs 4\` in a row
  gave our scp -O upload 1.3 to 2.8 s of CPU in the first and 4.3 to 7.8 s
  in the next two, with the same flags. In a slow one the server took about
  13,000 minor page faults a second (\`/proc/<pid>/stat\`, sampled every
  second), against about 1,000 in a fast one, with more user time as well:
  that user time was on V8's helper threads, which no longer collect.
  Machines differ too: on one with files under \`/tmp\` on disk instead of
  \`/dev/shm\`, sshd spent 4 s of CPU per GiB uploaded where it had spent 1.9
  to 2.8. In the run above sshd took 1.8 to 4.0 s of CPU per GiB and ours
  1.1 to 2.9; in the previous full run, 2.0 to 3.9 and 1.1 to 2.1, and in
  the one before, 1.0 to 2.6 and 0.7 to 1.7. Compare the runs within one
  table, where the servers take turns, and rerun a figure alone
  (\`--only\`) before reading much into one.
- **Large transfers meet their targets, and four changes did it.**
  In this run ours went at 1.37x to 1.61x sshd's speed on downloads and
  1.49x to 1.66x on uploads, at 0.57x to 0.77x its CPU per GiB.
  Downloads are held by the client, which decrypts them, and vary most: our
  server's CPU is the lower one, and the previous full runs had them at
  1.36x to 1.67x, 1.44x to 1.68x, 1.14x to 1.68x, 1.06x to 1.17x (the chacha20-poly1305 and aes128-ctr ones under),
  1.09x to 1.25x (the aes128-gcm one under), 1.42x to 1.62x, 1.17x to
  1.55x, 1.08x to 1.11x and
  1.07x to 1.14x (the aes128-ctr download under its target in the last
  two), and 1.32x to 1.49x.
  - *V8's helper threads.* Per thread (\`/proc/<pid>/task/*/stat\`), a
    512 MiB scp upload to a server that had already moved a few files
    spent 1.6 to 2 s of user CPU on V8's four worker threads and 0.5 to
    1 s on the main thread. With the young generation kept small, V8
    collects it every few milliseconds during a transfer, and the buffers
    the data passes through start a marking of the old generation several
    times a second; V8 hands each collection to its helpers, and waking
    them cost more than the work they took over. The commands now collect
    on the main thread (\`--no-parallel-scavenge\`,
    \`--no-concurrent-marking\`, \`--no-concurrent-array-buffer-sweeping\`,
    set in \`apps/server/src/gc-settings.ts\`): over the same minutes,
    taking turns, a 512 MiB scp upload took 0.9 to 1.3 s of server CPU
    against 1.9 to 2.5 with the helpers, an sftp upload 0.8 to 1.0 against
    1.1 to 1.9, and the main thread spent no more than before. In the full
    runs, uploads went from 0.88x to 0.94x sshd's CPU per GiB and 1.06x to
    1.48x its speed to 0.55x to 0.74x and 1.58x to 2.21x in the two runs
    since.
  - *ssh2's packets.* ssh2 allocated every packet it sent, and the pages of
    each were faulted in as the data was copied into it: in a profile of
    the aes128-gcm download, copying into the packets was 19% of the busy
    time and writing to the socket 33%; under \`strace -c\` the download made
    533 \`brk\` calls in 2.5 s as glibc gave the heap back and took it again.
    In a trial that cut the gcm cipher's packets from reused slabs inside
    ssh2, switched on and off in turn over the same minutes (\`--only large\`,
    512 MiB), the download took 0.7 to 0.8 s of server CPU on and 1.2 to
    1.9 s off; with the arena as it is now, 0.6 to 0.7 s in the runs that
    followed. The socket is also corked
    for as long as one run of JavaScript lasts
    (\`packages/sftpd/src/tick-batched-writes.ts\`): about 4,000 system calls
    per GiB where ssh2 made 45,000. ssh2's padding comes from a pool of
    random bytes (\`packages/sftpd/src/ssh2.ts\`).
  - *OpenSSH's client.* With less CPU, ours was still slower than sshd on
    downloads, and the client was why: against ours, \`sftp\` and its \`ssh\`
    spent 0.5 to 0.7 s of user CPU for 300 MiB, against 0.3 s from sshd.
    \`perf record\` of the client put 32% of its samples in \`memmove\`
    (16% against sshd): OpenSSH's client moves its buffered data down each
    time it takes a packet out, and ours filled the whole 2 MiB window it
    allows, where sshd's \`internal-sftp\`, one request per turn of its loop,
    never runs that far ahead. A channel to OpenSSH's client now runs at
    most half its window and four packets ahead
    (\`packages/sftpd/src/channel-pacing.ts\`): the client's user CPU fell to
    0.3 to 0.5 s (0.3 to 0.7 s against sshd in the same runs), and the
    300 MiB download from 1.3–1.8 s to 0.9–1.2 s, against sshd's 1.1–1.8 s.
    A client slow to adjust its window eight times in a row, as on a long
    network path, gets the whole window back, so that the path stays full.
  - *Half the packets.* A reply to a 32 KiB read is 13 bytes over
    OpenSSH's packet size, and ssh2 sends each write to a channel as packets
    of its own: every reply took a full packet and one of 13 bytes. The
    replies ready together are now joined into one write (\`joinReplies\` of
    \`@sftpgo/sftp-protocol\`), so a download sends about half as many
    packets, each of them decrypted by the client.

  An upload gains when ours writes the file on libuv's thread pool while the
  main thread decrypts, where sshd's session process does both in turn.
- **scp above its targets, rsync ahead of sshd.** In this run scp -O
  went at 1.50x up and 1.87x down, at 0.71x and 0.50x sshd's CPU, and
  rsync at 1.28x at 0.60x; the previous full runs gave scp 1.60x and
  1.83x, 2.02x and 1.87x, 1.19x and 1.30x, 1.59x and 1.31x, 2.00x and 1.75x, 1.16x and 1.36x, then 1.30x
  and 1.32x, and rsync 1.35x, 0.95x, 1.03x, 1.21x, 1.14x, 1.24x and 1.23x, so an upload
  at 1.16x to 1.19x is the machine's spread about its 1.2x. Run alone before the changes (\`--only scp --runs 3\`), scp -O went
  at 0.58x up and 0.60x down with 3.7 and 2.5 s of our server's CPU per GiB
  against sshd's 1.7 and 1.0; the profile put the garbage collector at 31%
  of the busy time. A download read each 256 KiB chunk into a new buffer;
  an upload wrote each 32 KiB packet of the channel with a call of its own
  to the thread pool, and read the channel with \`read()\`, which joins
  what the stream holds into a new buffer each time (Node's \`fromList\`,
  4% of the busy time). Now an upload gathers the packets into writes of
  256 KiB, one written while the next arrives; a download reads into two
  buffers in turn, each filled again once the channel has copied it into
  SSH packets and called back; and the channel is read chunk by chunk as it
  gives them (\`packages/scp/src/io.ts\`, \`sink.ts\`, \`source.ts\`). Run
  alone right after, 1.23x up and 1.18x down at 0.82x and 0.72x sshd's CPU
  (1.55 and 0.75 s per GiB), the collector at 9% of the busy time; the
  helper threads above did the rest.
- **Small files: about the target.** OpenSSH's client
  copies one file at a time (open, write or read, close) and waits for each
  reply, so what counts is how long the server takes to answer each
  request, and how much CPU it takes from the client on two cores. In this
  run \`put -r\` went at 1.28x and \`get -r\` at 1.28x, with 0.93x and
  0.96x sshd's CPU: 265 and 335 µs of our server's CPU per file against 285
  and 350. Earlier full runs gave 1.22x and 1.20x (290 and 350 µs against
  285 and 360), 1.19x and 1.24x (295 and 330 µs against
  260 and 320), 1.02x and 0.97x (360 and 420 µs against
  230 and 255), 0.93x and 0.94x (390 and 480 µs against
  240 and 270), 1.08x and 0.98x (355 and 425 µs against
  260 and 270), 1.10x and 1.19x (430 µs against 345 to
  385, on a slow machine), 1.15x and 1.07x (250
  µs against 190), 1.10x and 1.00x, 1.15x and 1.01x, 0.88x and 0.97x
  with 650 µs against 370, and 1.08x and 1.19x. The machine's state weighs on our process more than on
  sshd's: two builds taking turns with sshd over the same minutes (six
  rounds each), \`b62dacd\` and the one after it, gave \`put -r\` 0.87x
  and 0.90x and \`get -r\` 0.85x both, with 1.39 and 1.31 s of CPU per
  2,000 uploads where sshd took 0.74, after a full run in which the first
  of them had taken half as much. What can be cut is our CPU per file.

  Where it goes, in a CPU profile of this build's \`--only small\` (16,000
  files up and down; about 190 µs of the main thread's time per file):
  writing the replies to the socket 24% (three per file, some 14 µs each,
  most of it the kernel waking the client; sshd writes as many), the
  garbage collector 12%, opening files 9.5% (the new file, and for a file
  in a subdirectory that directory on the way, by descriptor: see
  [Security](security.md)), \`close\`, \`fstat\`, \`read\` and \`lstat\` 6%,
  ssh2's ciphers 2.5%, the log line 2% (half as much since: it goes
  straight to the file, no longer through winston's three streams), and
  the rest spread thin over
  ssh2's JavaScript, Node's streams, the SFTP engine and our layers. Without SSH
  (\`pnpm bench:layers\`: the engine and its handler in one process, on
  tmpfs), an upload of 4 KiB takes about 100 µs of CPU over the storage
  alone and 25 µs more through the session's layers, a download 90 and 25:
  each request crosses the layers with a promise and an object or two.
  Earlier steps made small reads and writes on the event loop
  (\`packages/vfs/src/fs-io.ts\`), moved the end of a transfer (its log
  line, the actions and the metrics) after the reply to the client's
  CLOSE, and open a download or a new upload in one walk of its path
  (\`PolicyFs\`). A later one dropped the \`fstat\` of a file created
  exclusively and the second one of a download (its size at open is kept),
  the look of the quota layer before an exclusive create, two promise
  reactions of every request in the engine and one in the handler, and the
  bandwidth and upload-mode layers where they have nothing to do. With the
  layers at about 25 µs of some 260 in time, and the kernel's share (the
  socket writes and the file calls, some 40% of the main thread's time)
  paid as sshd pays it, the next step is the collector's 12%, and what it
  collects is mostly ours. With \`--trace-gc\`, 8,000 files took 523
  collections of the young generation, one per 16 files; a sampling
  profile of allocations that keeps the objects collected since (the
  inspector's \`HeapProfiler.startSampling\` with
  \`includeObjectsCollectedByMinorGC\`) counts 50 KB of JavaScript objects
  per 4 KiB file: 6.9 KB in the SFTP engine's session (its request
  dispatch and replies), 4.6 KB in \`TransferFs\` (3.3 KB of it in closing
  a file, an async function that also reads an upload's size), 3 KB in
  the confined path walk, 2.6 KB in \`OsFs\`'s handles, 2 KB each in the
  handle table and the SFTP handler, 3.5 KB in Node's writable streams,
  and only 1.1 KB in ssh2's ciphers. Fewer objects per request in our own
  code, rather than ssh2's, is where the next microseconds are. Since that
  profile, an upload into a file that started empty (truncated or new)
  takes its size from its writes instead of an \`fstat\` at its close
  (\`packages/sftpd/src/transfer-fs.ts\`): \`pnpm bench:layers\` put the
  layers' cost of an upload at 13 to 14 µs, against 22 before.

  Most of what the collector did for small files came from one habit. A
  transfer's event was built as \`{ ...context, type, path, ..., ...end }\`,
  and V8 11.3 builds an object literal that starts with a spread and then
  adds properties on a slow path: about 6 µs for that event, against 0.17
  µs through \`Object.assign\` (a million of them in plain node), and what it
  leaves behind survives collections of the young generation. Over 12,000
  uploads of 4 KiB (\`--trace-gc-nvp\`), 22.3 MiB were promoted to the old
  generation and four collections of the whole heap followed. With the
  events, the actions' facts, the handle table's entries, the path walk's
  result and the attributes of a SETSTAT built without such literals, 1.7
  MiB and none, with 9% fewer collections of the young generation (515
  against 565); 12,000 downloads, 2.4 MiB and one full collection against
  23.1 MiB and six. The server's CPU in \`--only small\` went from 0.97 to
  0.77 s for \`put -r\` and from 1.02 to 0.85 s for \`get -r\`, in two runs
  minutes apart, and the main thread's profile put the collector at 6.7%
  of its busy time, against 9.9%. [Development](development.md) keeps the
  habit that follows.

  The server's answers are not most of a file's time. Traced system call
  by system call (\`perf trace -a -e read,write\` over one \`--only
  small\` run, 2,000 files up and down per server, and split by
  \`bench/exchange-trace.ts\`: see
  [development.md](development.md#benchmarks); tracing slows every call, so
  read the shares), a file is three exchanges up and four down: the
  client's \`ssh\` writes a request, the server reads it and writes the
  reply, and \`ssh\` reads that, hands it to \`sftp\` over a pipe and
  writes the next request once \`sftp\` has asked. Over the 14,000
  exchanges of each server, the server's work, from reading a request to
  the end of its reply's write, took ours 2,352 ms and sshd 2,898 (sshd's
  \`internal-sftp\` is a child of its session process, and each request
  and reply crosses a pipe to it), 133 µs and 197 at the median exchange.
  The client's turn, from a reply to the next request, took 3,517 ms
  against ours and 3,088 against sshd: the same program for both, and
  about half of a file's time, so 1.2x would take ours answering in about
  half of sshd's time. That the client's turn was the longer against ours
  the trace does not explain: the client makes the same calls, and with
  the server pinned to one core and the clients to the other
  (\`taskset\`), \`put -r\` went at 1.02x and 1.31x and \`get -r\` at
  1.07x and 1.08x, against 1.20x, 1.35x, 0.99x and 1.06x unpinned in the
  same minutes. Waking the server took ours 913 ms and sshd 486: a
  request that arrives while ours is still busy after its previous reply
  waits. The end of a transfer (its log line, the actions and the
  metrics) runs right after the reply to the CLOSE, and the collector
  between requests: one wake-up looked at closely came right after the
  \`eventfd\` by which V8 hands the event loop a task, and its 600 µs
  match a collection of the young generation.

  Two checks of that reading, on the machine of this run, with the files
  on \`/dev/shm\`. Run before the reply to the CLOSE instead of
  after it, the end of a transfer made \`put -r\` slower (1.04 s against
  0.96 s, six rounds of each build taking turns): the client's turn does
  not wait for what the server does after a reply. And \`perf record\` of
  the server's main thread over three \`put -r\` (Node's
  \`--perf-basic-prof-only-functions\`), each sample given to the package
  of its innermost JavaScript frame, put 14.5% in the kernel's side of the
  socket writes, 12% in \`epoll_pwait\` (waiting and being woken), 22% in
  code outside JavaScript (libuv, Node's C++, the socket reads), and the
  JavaScript spread over ssh2 (8%), the SFTP engine (8%), Node's streams
  (7%), \`@sftpgo/vfs\` (5%), the collector (3.7%), Node's task queues
  (3.6%), the log line and metrics (3%) and \`@sftpgo/sftpd\` (3%): no one
  part holds a tenth of the time. Run alone there
  (\`--only small\`, then \`--only idle,small\`), the rows went at 1.13x
  to 1.18x for \`put -r\` and 1.09x to 1.34x for \`get -r\`.

  A larger young generation does not pay for itself here. With 8 MiB per
  semi-space instead of 1 (\`--min-semi-space-size=8
  --max-semi-space-size=8\`), taking turns with the default over the same
  minutes, \`put -r\` took 0.83x, 0.97x and 1.05x the default's time in
  three runs and \`get -r\` 0.84x, 0.93x and 1.04x, at 0.75x to 0.98x its
  CPU, for 12 MiB more RSS at start and 25 MiB more at the peaks of a
  large transfer.

  File creation has a slow state of its own on this machine, now waited
  out before these rows (see "What is measured"): after a test run had
  deleted thousands of files, \`put -r\` took 2.7 to 4.5 s for both servers
  and the ratio said nothing about either.
- **Concurrent sessions.** With \`sftpd.workers\` 0 (two workers), the 20
  downloads ran at 2.30x sshd's aggregate at 0.51x its CPU per GiB (1.64x
  to 2.78x in the previous full runs), where runs before the pacing and
  the joined replies gave 1.28x to 1.46x. The machine's two cores are 96
  to 100% busy during the runs of both servers: the 20 clients' \`sftp\`
  and \`ssh\` processes decrypt what the server sends (and, against sshd,
  spend about 0.1 s each on its post-quantum key exchange) on the cores the
  server would use, so what the clients save (the pacing and the halved
  packet count above) shows here most.
- **Logins are ours.** 3 to 15 ms of server CPU per login against sshd's 12
  to 77 ms with the same key exchange (curve25519-sha256): sshd starts a
  fresh copy of itself for every connection (re-exec: loading the binary,
  its configuration and host keys) and forks again after authentication for
  privilege separation. With the client's defaults sshd also does the
  post-quantum sntrup761x25519 exchange, which ours does not offer: 32 ms of
  its CPU and about 0.1 s of the client's per login. That login is also most
  of sshd's time for \`ls -l\` of 10,000 entries, and part of the lead of ours
  with 20 concurrent downloads.`;

/** docs/performance-server.md: how the figures were measured, the tables, and what misses. */
export function markdownPage(results: ServerResults, info: ServerRunInfo): string {
  const md = (t: Table) => markdownTable(t.head, t.body);
  const notRun = results.rows.filter((r) => verdict(r) === 'n/a');
  return `# Performance: \`sftpgo serve\` against OpenSSH's sshd

The whole server, as users compare it with OpenSSH: \`sftpgo serve\` and a
private OpenSSH \`sshd\` on the same machine, both on 127.0.0.1, driven by the
same OpenSSH clients (\`sftp\`, \`scp -O\`, \`rsync -e ssh\`, \`ssh\`) with the same
key and the same cipher. The engine alone, served on stdio against OpenSSH's
\`sftp-server\`, is measured by \`pnpm bench\`: see [performance.md](performance.md).
This page is written by \`pnpm bench:server\` (\`bench/server-vs-sshd.ts\`);
rerun it rather than editing the figures by hand.

## How to rerun

\`\`\`sh
pnpm bench:server                       # builds, measures, rewrites this page
pnpm bench:server --quick               # small sizes, one run: checks the script in minutes
pnpm bench:server --only large,logins   # some figures only; the page is not touched
\`\`\`

It runs as root (it starts a private sshd) and installs with apt-get what it
runs and is missing: openssh-server, openssh-client, rsync and bubblewrap. See
[development.md](development.md#benchmarks) for every option.

## What is measured

- \`sftpgo serve\` runs from \`apps/server/dist/cli.js\`, by this process's
  node with the flags of the script's first line, as the installed command
  runs (\`--v8-pool-size=1\`), with the embedded SQLite provider and one
  user added through the REST API, whose home is the served directory and
  who logs in with an Ed25519 key; \`rsync\` is in
  \`sftpd.enabled_ssh_commands\`. It logs its info lines to a file. It
  serves in one process (\`sftpd.workers\` 1, the default), except for the
  concurrent sessions: a second \`sftpgo serve\`, started for that figure
  only, spreads them over one worker process per core (\`sftpd.workers\` 0).
- \`sshd\` (\`/usr/sbin/sshd -D -e -f CONFIG\`) has a configuration of its own: a
  host key generated for the run, the client's key as the only authorized
  key, \`Subsystem sftp internal-sftp\`, \`UsePAM no\`, root logins by key only,
  \`MaxStartups 1000\` (its default drops concurrent logins beyond ten); it
  logs to a file. Its sessions \`cd\` to the served directory, or name it in
  full.
- Every client runs with \`-F /dev/null\`, the key, \`BatchMode=yes\`, no host
  key check and \`-c aes128-gcm@openssh.com\`, unless the figure names another
  cipher. Each figure is the wall-clock time of the whole client command,
  login included.
- The servers take turns (sshd, ours, sshd, ours, ...); each figure is the
  median of ${info.runs} runs per server, after ${info.warmup} untimed warm-up
  ${info.warmup === 1 ? 'run' : 'runs'} each.
- Every run's output is checked (sizes and counts; a sha256 once per figure
  and server, untimed), so a broken transfer cannot count.
- The files live under \`os.tmpdir()\`, in the page cache; before each run,
  untimed, the previous run's output is removed and \`sync\` flushes dirty
  pages. \`TMPDIR=/dev/shm\` takes the disk out.
- Before the small-file rows, the benchmark times the creation of an empty
  file in its work directory, and waits (up to 7 minutes) while that takes
  over ${FAST_CREATE_MICROS} µs. ext4 without a journal reuses no inode freed in the last
  one to six minutes, and each new file scans past all of them: after a test
  run that deleted thousands of files, one creation took 500 to 700 µs of
  kernel time for minutes, against 20 µs once they had aged (and 9 µs on
  tmpfs). Both servers pay it for every file, which hides the difference
  between them.

## How CPU and memory are read

- **Server CPU** is read from \`/proc/<pid>/stat\` of the server process, before
  and after each run: utime + stime (every thread, so libuv's pool is in it)
  plus cutime + cstime, the time of the children the process has reaped, and
  of theirs. sshd's listener forks one process per connection, which forks
  the session's process; both exit with the session and are reaped, so their
  time reaches the listener's cutime and cstime. The benchmark waits until
  the server has no child left before the second reading (the rsync sandbox
  of ours is a child too). Our workers live as long as the server: their
  own utime + stime + cutime + cstime are added, read while they run. No
  cgroup is needed; the resolution is a clock tick (10 ms), small next to
  the totals.
- **Peak RSS**: for ours, VmHWM of the server process (summed with its
  workers' and its children's, sampled as sshd's are), reset before each run
  (\`5\` written to \`/proc/<pid>/clear_refs\`). For sshd, VmHWM of each of its
  session processes, sampled every 100 ms and summed: that is the memory of
  sshd's sessions (the listener is left out); pages shared between processes
  (the binary, libc) count in each one, and a process that lives less than
  100 ms (a login) may be missed.
- **Idle sessions**: \`ssh -s … sftp\` processes, opened eight logins at a
  time, each sending SSH_FXP_INIT and waiting for the server's
  SSH_FXP_VERSION, then left idle. Per session: the growth of the session
  processes' VmRSS (and of their PSS, which splits shared pages) divided by
  the sessions served; for ours, the server process; for sshd, all the
  processes under the listener.
- **CPU per GiB**: the server CPU of a bulk transfer divided by the GiB moved.

## This run

- Date: ${info.date}; code: \`${info.commit}\` (\`git describe --dirty\`).
- Machine: ${info.machine}; files under \`${info.workDir}\`.
- Node ${info.node}; ${info.openssh}.
- The client's defaults give ${info.algorithms.join('; ')}.
- One-minute load average: ${info.load[0].toFixed(2)} before the run, ${info.load[1].toFixed(2)} after it.
  Other work on the machine shows up as noise.
${createsLine(info.creates)}- The whole benchmark took ${info.minutes.toFixed(0)} minutes (large files of ${info.largeMib} MiB).

## Against the targets

Speed is the throughput ratio (above 1, ours is faster), server CPU the ratio
of CPU seconds (below 1, ours spends less), ours / sshd in parentheses. RSS
targets: at most ${RSS_TARGET_MIB} MiB during one large transfer, at most
${IDLE_TARGET_MIB} MiB per idle session.

${md(summaryTable(results))}

${missed(results)}
${notRun.length ? `\nNot measured: ${notRun.map((r) => `${r.row.label} (${[r.sshd, r.ours].find((s) => typeof s === 'string')})`).join('; ')}.\n` : ''}
## Every figure

Median time and rate, median server CPU seconds and largest peak RSS.

${md(detailTable(results))}

## CPU per GiB

${md(cpuPerGiBTable(results))}
${results.idle ? `\n## Idle sessions\n\n${md(idleTable(results.idle))}\n` : ''}
## Every run

The timed runs in order, in seconds, to show how much the machine varied.

${md(runsTable(results))}

${READING}
`;
}
