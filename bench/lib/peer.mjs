/** Filled in once the peer server exists (bench/peer/). */
export async function runPeer() {
  return undefined;
}
