import { ServiceUnavailableError } from './errors.js';

/**
 * What a failed system call says about our own side, as the reason clients and operators see. The one
 * list of error codes for every caller: uploads being staged, files being stored, and the GraphQL
 * error mapping, which used to keep three different lists.
 */
export type OsFault = 'STORAGE_FULL' | 'STORAGE_UNWRITABLE' | 'CONNECTION_LOST';

const FAULTS: ReadonlyMap<string, OsFault> = new Map([
  ['ENOSPC', 'STORAGE_FULL'],
  ['EDQUOT', 'STORAGE_FULL'],
  ['EFBIG', 'STORAGE_FULL'],
  ['EROFS', 'STORAGE_UNWRITABLE'],
  ['EACCES', 'STORAGE_UNWRITABLE'],
  ['EPERM', 'STORAGE_UNWRITABLE'],
  ['ENOTDIR', 'STORAGE_UNWRITABLE'],
  ['EEXIST', 'STORAGE_UNWRITABLE'],
  ['EISDIR', 'STORAGE_UNWRITABLE'],
  // Node's recursive mkdir reports a read-only parent as "no such file or directory"
  ['ENOENT', 'STORAGE_UNWRITABLE'],
  ['ECONNREFUSED', 'CONNECTION_LOST'],
  ['ECONNRESET', 'CONNECTION_LOST'],
  ['ETIMEDOUT', 'CONNECTION_LOST'],
]);

export function osFaultOf(error: unknown): OsFault | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? FAULTS.get(code) : undefined;
}

const STORAGE_MESSAGE: Record<Exclude<OsFault, 'CONNECTION_LOST'>, string> = {
  STORAGE_FULL: 'Image storage is full',
  STORAGE_UNWRITABLE: 'Image storage cannot be written',
};

/** Whether the error is our storage refusing a write (full, read-only, a broken folder), and which. */
export function storageFaultOf(error: unknown): Exclude<OsFault, 'CONNECTION_LOST'> | undefined {
  const fault = osFaultOf(error);
  return fault === 'CONNECTION_LOST' ? undefined : fault;
}

/**
 * A write refused for a reason of our own as SERVICE_UNAVAILABLE with a reason an operator can act
 * on; `undefined` for anything else.
 */
export function asStorageFaultError(error: unknown): ServiceUnavailableError | undefined {
  const fault = storageFaultOf(error);
  return fault && new ServiceUnavailableError(STORAGE_MESSAGE[fault], { reason: fault });
}
