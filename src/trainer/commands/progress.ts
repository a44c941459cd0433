import type { MetricEvent, Network } from '../../protocol/runDir';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/** One terminal line per interesting event (epochs, stages, meta-network metrics, the end). */
export function formatEvent(e: MetricEvent, epochs: Record<Network, number>): string | undefined {
  switch (e.type) {
    case 'epoch': {
      const terms = Object.entries(e.terms)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(' ');
      return `${networkName(e.network)} epoch ${e.epoch + 1}/${epochs[e.network]} stage ${e.stage + 1}: loss ${e.loss.toFixed(4)} (${terms}) train ${pct(e.trainAcc)} val ${pct(e.valAcc)} lr ${e.lr.toFixed(4)} ${Math.round(e.imagesPerSec)} img/s ${e.seconds.toFixed(1)}s`;
    }
    case 'stage':
      return `${networkName(e.network)} stage ${e.stage + 1} done (epochs ${e.firstEpoch + 1}-${e.lastEpoch + 1}): best epoch ${e.bestEpoch + 1}, val ${pct(e.bestValAcc)}`;
    case 'final':
      return undefined;
    default:
      return undefined;
  }
}

/** `student alone` reads better than the event's `alone`. */
function networkName(network: Network): string {
  return network === 'alone' ? 'student alone' : network;
}
