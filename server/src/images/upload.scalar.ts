import { GraphQLScalarType } from 'graphql';
import GraphQLUpload from 'graphql-upload/GraphQLUpload.mjs';
import type { FileUpload } from 'graphql-upload/processRequest.mjs';

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
