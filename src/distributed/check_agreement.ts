// Whether every rank of a new group checks its collectives (c10d's ProcessGroupWrapper, which
// Python makes only under TORCH_DISTRIBUTED_DEBUG=DETAIL), learnt from the store before the
// checks' own Gloo group is made. A rank that checks waits at that group's rendezvous for every
// other rank, so one rank that does not (a Python rank started without DETAIL) would leave it
// waiting the whole group timeout (1800 s by default) while the other hangs in its first
// collective. Here the disagreement is a TorchError within seconds instead.
import { TorchError } from '../core/errors.js';
import { native, type Handle } from '../core/native.js';

/**
 * Seconds a rank waits, after the group's own rendezvous, for another rank to say whether it
 * checks collectives (at most the group's timeout). A torchlora rank says so at once (a key of
 * its own); a Python rank under TORCH_DISTRIBUTED_DEBUG=DETAIL starts the checks' Gloo
 * rendezvous at once too (it publishes its address there); a Python rank without DETAIL
 * publishes nothing, and is taken for one that does not check when this grace has passed.
 */
export const CHECK_AGREEMENT_GRACE_SECONDS = 5;

/** What a rank showed of its collective checks. */
export type PeerChecks =
  | 'torchlora, checked' | 'torchlora, unchecked'
  /** Its address is at the checks' Gloo rendezvous, with no torchlora key: Python under DETAIL. */
  | 'python, checked'
  /** Nothing within the grace: Python without DETAIL (or a rank stuck elsewhere). */
  | 'silent';

/** Stores of the group: where the torchlora keys go, and the checks' Gloo rendezvous. */
export interface AgreementStores { readonly group: Handle; readonly check: Handle }

/** Blocks this thread for `ms` (the init is synchronous, as Python's). @internal */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function marker(checked: boolean, rank: number): string {
  return `torchlora:${checked ? 'checked' : 'unchecked'}/${rank}`;
}

/**
 * What the peer has shown so far, or null. Gloo's rendezvous (connectFullMesh) publishes each
 * rank's addresses under its rank, behind ProcessGroupGloo's device index: "0/<rank>" under the
 * checks' store in the gloo the pip wheels bundle (2.x), "0/rank_<rank>" in Debian 12's libgloo,
 * which its libtorch 1.13 links (both read from a Python rank under DETAIL). A torchlora rank
 * sets its key before it joins that rendezvous, so reading Gloo's key first never takes a
 * torchlora rank for a Python one.
 */
function shown(stores: AgreementStores, peer: number): PeerChecks | null {
  const joined = native.distStoreCheck(stores.check, `0/${peer}`) || native.distStoreCheck(stores.check, `0/rank_${peer}`);
  if (native.distStoreCheck(stores.group, marker(true, peer))) return 'torchlora, checked';
  if (native.distStoreCheck(stores.group, marker(false, peer))) return 'torchlora, unchecked';
  return joined ? 'python, checked' : null;
}

/**
 * Says whether this rank checks, then learns what every other rank shows (waiting at most
 * `graceMs` for those that show nothing). Returns each rank's answer (this rank's own too).
 */
export function announceChecks(stores: AgreementStores, rank: number, worldSize: number, checked: boolean, graceMs: number): PeerChecks[] {
  native.distStoreSet(stores.group, marker(checked, rank), '1');
  const peers: (PeerChecks | null)[] = Array.from({ length: worldSize }, (_, peer) => (peer === rank ? (checked ? 'torchlora, checked' : 'torchlora, unchecked') : null));
  const deadline = Date.now() + graceMs;
  for (;;) {
    for (let peer = 0; peer < worldSize; peer++) peers[peer] ??= shown(stores, peer);
    if (!peers.includes(null) || Date.now() >= deadline) break;
    pause(10);
  }
  return peers.map((peer) => peer ?? 'silent');
}

function checks(peer: PeerChecks): boolean {
  return peer === 'torchlora, checked' || peer === 'python, checked';
}

const SHOWED: Record<PeerChecks, string> = {
  'torchlora, checked': 'does (a torchlora rank with check_collectives: true)',
  'torchlora, unchecked': 'does not (a torchlora rank with check_collectives: false)',
  'python, checked': 'does (it joined the checks\' Gloo rendezvous, as a Python rank under TORCH_DISTRIBUTED_DEBUG=DETAIL does)',
  silent: 'does not (it did not join the checks\' Gloo rendezvous within %s s: a Python rank does only under TORCH_DISTRIBUTED_DEBUG=DETAIL)',
};

/** The TorchError of a group whose ranks disagree, or null when they agree. */
export function disagreement(peers: PeerChecks[], rank: number, graceMs: number): TorchError | null {
  const mine = checks(peers[rank]!);
  const other = peers.findIndex((peer) => checks(peer) !== mine);
  if (other < 0) return null;
  const showed = SHOWED[peers[other]!].replace('%s', String(graceMs / 1000));
  return new TorchError(`dist_init_process_group: the ranks disagree on check_collectives (c10d's collective checks, Python's `
    + `TORCH_DISTRIBUTED_DEBUG=DETAIL): this rank ${mine ? 'checks collectives' : 'does not check collectives (check_collectives: false)'}, `
    + `rank ${other} ${showed}. Every rank of a group must agree: start the Python ranks with TORCH_DISTRIBUTED_DEBUG=DETAIL and leave `
    + 'check_collectives on (its default), or start them without it and pass check_collectives: false (or set '
    + 'TORCH_DISTRIBUTED_DEBUG=OFF) on every torchlora rank');
}
