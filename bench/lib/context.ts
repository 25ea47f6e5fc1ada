import type { BenchSettings } from './config.ts';
import type { TestImage } from './images.ts';
import type { Product } from './product.ts';
import type { Results } from './report.ts';
import type { GeneratorWindow } from './throughput.ts';
import type { Generator } from './wrk.ts';

export interface BenchUser {
  id: string;
  username: string;
  password: string;
  token: string;
}

/** Everything a section needs: the running product, its users and files, where to put scratch, and where to record. */
export interface BenchContext {
  s: BenchSettings;
  product: Product;
  serverDir: string;
  /** Scratch folder of this run (anchor data, configs); removed at the end. */
  workDir: string;
  logDir: string;
  images: { photo: TestImage; hd: TestImage; alpha: TestImage };
  /** Enterprise user owning `listerImages` seeded rows: the list, link and cold-GET tests. */
  lister: BenchUser;
  /** Enterprise user that every upload goes to, so uploads never change the lister's pages. */
  uploader: BenchUser;
  /** Users the login test cycles through, so 16 concurrent logins are not one account's row lock. */
  loginUsers: Array<{ username: string; password: string }>;
  /** A real uploaded image's h200 thumbnail: link path, storage key and size. */
  hot: { path: string; key: string; bytes: number };
  /** Thumbnails planted under seeded images: link paths and storage keys, one file each. */
  cold: { paths: string[]; keys: string[] };
  /** The HTTP load generator of the throughput rows, and each measured window's wrk CPU. */
  generator: Generator & { windows: GeneratorWindow[] };
  anchors: { nginx: { binary?: string; version?: string; note: string }; django: { python?: string; version?: string; note: string } };
  results: Results;
}
