import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';
import { authenticate } from './auth/auth.service.js';
import { createContext, type AppDeps, type Context } from './graphql/context.js';
import { toAppError, createFormatError } from './graphql/format-error.js';
import { createSchema } from './graphql/schema.js';
import { adminUiRouter } from './http/admin-ui.route.js';
import { filesRouter } from './http/files.route.js';

export interface App {
  express: express.Express;
  apollo: ApolloServer<Context>;
}

/** Builds the HTTP app around the shared deps; the caller owns the HTTP server and listening. */
export async function createApp(deps: AppDeps, httpServer: Server): Promise<App> {
  const { config, logger } = deps;
  const apollo = new ApolloServer<Context>({
    schema: await createSchema(),
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.isProduction,
    introspection: !config.isProduction,
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // no @cacheControl hints are used, and the plugin costs real time on large lists
      ApolloServerPluginCacheControlDisabled(),
      config.isProduction ? ApolloServerPluginLandingPageProductionDefault() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  // file routes set their own ETags; Express's would tag error bodies too
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(filesRouter(deps));
  app.use(adminUiRouter(config.adminUiDir, config.publicUrl));
  app.use(
    '/graphql',
    // bearer tokens, never cookies: any origin may call the API, as Apollo Sandbox does
    cors({ origin: true, maxAge: 600 }),
    graphqlUploadExpress({ maxFileSize: config.maxUploadBytes, maxFiles: config.maxFilesPerRequest, maxFieldSize: 1024 * 1024 }),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const em = deps.orm.em.fork();
        try {
          return createContext(deps, em, await authenticate(em, deps.tokens, req.headers.authorization));
        } catch (error) {
          // Apollo answers a throwing context function with a 500; keep our codes instead
          throw toAppError(error) ?? error;
        }
      },
    }),
  );
  app.use(errorHandler(deps));
  return { express: app, apollo };
}

/** Errors outside GraphQL execution (multipart parsing, body size, file routes) as JSON, never HTML. */
function errorHandler({ logger }: AppDeps): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 600 ? error.status : 500;
    if (status >= 500) logger.error({ err: error, url: req.url }, 'request failed');
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 499 ? 'CLIENT_CLOSED_REQUEST' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    const message = status < 500 && error?.expose !== false ? String(error.message) : 'Internal server error';
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
}
