import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The process's Prometheus metrics, on a registry of its own (not prom-client's global one), so that
 * several servers in one process, as in the tests, never share or clash over series.
 * Every label takes values from a bounded set: route names, schema fields, error codes.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  // one labelled child per route, method and status: finding it by a labels object on every request
  // (prom-client hashes the object) costs more than the observation
  private readonly requestSeries = new Map<string, { observe(seconds: number): void }>();

  /** One HTTP request's duration; `status` is 'aborted' when the client left before the answer. */
  observeRequest(route: string, method: string | undefined, status: number | 'aborted', ms: number): void {
    const methodLabel = method !== undefined && HTTP_METHODS.has(method) ? method : 'other';
    const key = `${route} ${methodLabel} ${status}`;
    let series = this.requestSeries.get(key);
    if (!series) this.requestSeries.set(key, (series = this.httpRequests.labels({ route, method: methodLabel, status: String(status) })));
    series.observe(ms / 1000);
  }

  readonly graphqlOperations = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operations by root field, operation type and outcome (ok or the error code)',
    labelNames: ['field', 'type', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly imagesUploaded = new Counter({
    name: 'images_uploaded_total',
    help: 'Images stored, by format',
    labelNames: ['format'] as const,
    registers: [this.registry],
  });

  readonly uploadedBytes = new Counter({
    name: 'images_uploaded_bytes_total',
    help: 'Bytes of original images stored',
    registers: [this.registry],
  });

  readonly duplicateUploads = new Counter({
    name: 'images_duplicate_uploads_total',
    help: 'Uploaded files answered with an image their owner already had (same SHA-256), stored again never',
    registers: [this.registry],
  });

  readonly imageProcessing = new Histogram({
    name: 'image_processing_duration_seconds',
    help: 'Time a decode-and-thumbnail job held a worker, by trigger (upload, lazy, background)',
    labelNames: ['trigger'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });

  readonly thumbnailVariantFailures = new Counter({
    name: 'thumbnail_variant_failures_total',
    help: 'Thumbnails in a negotiated format (AVIF, WebP) that could not be made; the upload’s format was sent instead',
    labelNames: ['format'] as const,
    registers: [this.registry],
  });

  readonly thumbnailsGenerated = new Counter({
    name: 'thumbnails_generated_total',
    help: 'Thumbnails made after upload (on first request or by the background sync)',
    registers: [this.registry],
  });

  readonly thumbnailCacheHits = new Counter({
    name: 'thumbnail_cache_hits_total',
    help: 'Thumbnail reads answered from the in-memory cache',
    registers: [this.registry],
  });

  readonly thumbnailCacheMisses = new Counter({
    name: 'thumbnail_cache_misses_total',
    help: 'Thumbnail reads that went to storage while the in-memory cache is on',
    registers: [this.registry],
  });

  readonly imageQueueWait = new Histogram({
    name: 'image_processing_queue_wait_seconds',
    help: 'Time an image job waited for a worker',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** A gauge read when scraped, such as a queue's depth. */
  /**
   * A gauge read at scrape time. `aggregator` says how a cluster's processes' values combine: `sum`
   * (what each process holds), or `max` for a value every process reads from the same place.
   */
  gauge(name: string, help: string, read: () => number | Promise<number>, aggregator: 'sum' | 'max' = 'sum'): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      aggregator,
      async collect() {
        this.set(await read());
      },
    });
  }

  /** What GET /metrics answers: this process's metrics, or with `gatherFrom` (a cluster worker) every process's. */
  scrape(): Promise<string> {
    return this.gather();
  }

  gatherFrom(gather: () => Promise<string>): void {
    this.gather = gather;
  }

  private gather: () => Promise<string> = () => this.registry.metrics();
}
