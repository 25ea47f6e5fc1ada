/** How big and how long: the full run the README quotes, and the quick run the test command uses so the bench cannot rot. */
export interface BenchSettings {
  quick: boolean;
  /** A B A B rounds per comparison. */
  rounds: number;
  /** Seconds of each load window. */
  window: number;
  /** Rounds and seconds of each upload throughput window (uploads are slow, so fewer). */
  uploadRounds: number;
  uploadWindow: number;
  /** Uploads in flight for the throughput windows. */
  inFlight: number[];
  /** Seconds of warm-up (JIT, pools, caches) before a target's first window. */
  warmup: number;
  /** Connections of the load generator (wrk, one thread) for req/s figures. */
  connections: number;
  /** Rows in `images` in all, the listing user's share, and the cursor depth of the deep page. */
  tableRows: number;
  listerImages: number;
  deepCursor: number;
  /** Users owning the rest of the table. */
  fillerUsers: number;
  /**
   * Distinct thumbnail files for the cold GET test, requested in a cycle. More than the product's
   * default in-memory thumbnail cache holds (64 MiB, ~4 000 of these), so a cycle through them never
   * finds one there and the OS page cache is the only cache.
   */
  coldFiles: number;
  /** Concurrent uploads in the peak-memory test. */
  burst: number;
  /** Test images: the 12 MP photo, the 1080p photo and the RGBA PNG (quick mode shrinks them). */
  images: { photo: [number, number]; hd: [number, number]; alpha: [number, number] };
  /** Fixed request rates for the latency-under-uploads probes. */
  probeRate: { graphql: number; get: number };
}

export const FULL: BenchSettings = {
  quick: false,
  rounds: 3,
  window: 3,
  uploadRounds: 3,
  uploadWindow: 3,
  inFlight: [1, 2, 4],
  warmup: 1,
  connections: 16,
  tableRows: 1_000_000,
  listerImages: 10_050,
  deepCursor: 10_000,
  fillerUsers: 100,
  coldFiles: 10_050,
  burst: 16,
  images: { photo: [4000, 3000], hd: [1920, 1080], alpha: [2000, 2000] },
  probeRate: { graphql: 50, get: 200 },
};

export const QUICK: BenchSettings = {
  quick: true,
  rounds: 1,
  window: 0.5,
  uploadRounds: 1,
  uploadWindow: 0.5,
  inFlight: [1, 2, 4],
  warmup: 0.2,
  connections: 16,
  tableRows: 2_000,
  listerImages: 550,
  deepCursor: 500,
  fillerUsers: 5,
  coldFiles: 40,
  burst: 16,
  images: { photo: [800, 600], hd: [480, 270], alpha: [400, 400] },
  probeRate: { graphql: 50, get: 200 },
};
