import { GraphQLScalarType } from 'graphql';
import GraphQLUpload from 'graphql-upload/GraphQLUpload.mjs';
import processRequest, { type FileUpload, type ProcessRequestFunction } from 'graphql-upload/processRequest.mjs';
import Upload from 'graphql-upload/Upload.mjs';

/** A file of the multipart request, still arriving. */
export interface UploadRef {
  file: Promise<FileUpload>;
}

/**
 * graphql-upload's `Upload` scalar, with the file's promise boxed. type-graphql awaits promise-valued
 * arguments before the resolver runs, so a failed upload (malformed part, too large) would reject
 * outside our code and reach the client as an internal error; boxed, the service reads it and maps it.
 */
export const UploadScalar = new GraphQLScalarType<UploadRef, never>({
  name: 'Upload',
  description: GraphQLUpload.description,
  parseValue: (value) => ({ file: GraphQLUpload.parseValue(value) as Promise<FileUpload> }),
  parseLiteral: (node) => GraphQLUpload.parseLiteral(node, undefined) as never,
  serialize: () => {
    throw new Error('Upload is an input-only scalar');
  },
});

/**
 * graphql-upload's multipart parser with our rules on top, for `graphqlUploadExpress({ processRequest })`:
 * a file may only be mapped into the operation's variables, and a body the parser cannot read
 * (no boundary, cut short, malformed part header) is the client's fault, a 400, not a 500.
 */
export const processUploadRequest: ProcessRequestFunction = async (request, response, options) => {
  let operations: Awaited<ReturnType<ProcessRequestFunction>>;
  try {
    operations = await processRequest(request, response, options);
  } catch (error) {
    // graphqlUploadExpress sends nothing until the request has ended, and a parser that failed before
    // it started (no boundary) leaves the body unread: without this the client waits for requestTimeout
    request.resume();
    if (typeof (error as { status?: unknown }).status === 'number') throw error;
    throw badRequest(`Malformed multipart request: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const operation of Array.isArray(operations) ? operations : [operations]) {
    const { variables: _allowed, ...rest } = operation;
    if (holdsUpload(rest)) throw badRequest('Files may only be mapped into the operation variables');
  }
  return operations;
};

/** Walks with a list, not recursion: the client chooses how deeply its JSON nests. */
function holdsUpload(root: unknown): boolean {
  const pending = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value instanceof Upload) return true;
    if (typeof value === 'object' && value !== null) for (const child of Object.values(value)) pending.push(child);
  }
  return false;
}

/** Shaped like graphql-upload's own http-errors, which the app's error handler turns into JSON. */
function badRequest(message: string): Error {
  return Object.assign(new Error(message), { status: 400, expose: true });
}
