import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import { GraphQLError, type DocumentNode } from 'graphql';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';
import { authenticationPlugin } from './graphql/authentication.plugin.js';
import { createContext, type AppDeps, type Context } from './graphql/context.js';
import { toAppError, createFormatError } from './graphql/format-error.js';
import { operationLimitsRule } from './graphql/operation-limits.js';
import { jitGateway } from './graphql/jit-executor.js';
import { createSchema } from './graphql/schema.js';
import { textInputPlugin } from './graphql/text-input.plugin.js';
import { admissionControl, admitter, EventLoopLag, uploadAdmission } from './http/admission.js';
import { AdmissionGate } from './http/admission-gate.js';
import { adminUiRouter } from './http/admin-ui.route.js';
import { FileServer, isLinkPath } from './http/file-server.js';
import { graphqlServer, isPlainGraphqlRequest } from './http/graphql-server.js';
import { LinkAccess } from './links/link-access.js';
import { graphqlMetricsPlugin } from './graphql/metrics.plugin.js';
import { accessLog } from './observability/access-log.js';
import { httpMetrics, metricsRoute } from './observability/http-metrics.js';
import { processUploadRequest } from './images/upload.scalar.js';
import { healthRoutes } from './observability/readiness.js';
import { codeOfStatus, errorAnswer } from './http/error-responses.js';
import { HTTP_STATUS } from './shared/errors.js';
import { requestScope } from './shared/request-scope.js';

/** How long requests in flight may take to finish at shutdown before their connections are cut. */
export const DRAIN_GRACE_MS = 10_000;


export interface App {
  /** Every request: link routes and plain GraphQL requests on node:http, the rest through Express. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  express: express.Express;
  apollo: ApolloServer<Context>;
}

/** Builds the HTTP app around the shared deps; the caller owns the HTTP server and listening. */
export async function createApp(deps: AppDeps, httpServer: Server, isStopping: () => boolean): Promise<App> {
  const { config, logger } = deps;
  const lag = config.admission.maxEventLoopDelayMs > 0 ? new EventLoopLag() : undefined;
  const gate = new AdmissionGate(config.admission, () => lag?.currentMs ?? 0);
  const schema = await createSchema();
  const apollo = new ApolloServer<Context>({
    ...(config.graphqlExecutor === 'jit' ? { gateway: jitGateway(schema) } : { schema }),
    formatError: createFormatError(logger, { hideSuggestions: config.isProduction }),
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.isProduction,
    introspection: !config.isProduction,
    csrfPrevention: true,
    // main.ts owns shutdown (drain, jobs, database, exit code); Apollo's own handler would re-raise the signal
    stopOnTerminationSignals: false,
    // operation limits (GRAPHQL_MAX_*): refused with 400 before anything runs; batching stays off (the
    // default), so one request is one operation and `login` appears in it at most once
    parseOptions: { maxTokens: config.graphqlLimits.maxTokens },
    validationRules: [operationLimitsRule(config.graphqlLimits)],
    allowBatchedHttpRequests: false,
    // automatic persisted queries (Apollo Client's PersistedQueryLink): a known query costs its hash, not
    // its text. Per process and bounded: a stream of registrations evicts the oldest, and a client that
    // meets another instance gets PERSISTED_QUERY_NOT_FOUND and sends the text once more
    persistedQueries: { cache: new InMemoryLRUCache<string>({ maxSize: 4 * 2 ** 20, sizeCalculation: InMemoryLRUCache.sizeCalculation }) },
    // parsed and validated documents, by query text: a real client sends a few dozen, while the default
    // 30 MiB store lets a stream of distinct documents (a scanner, the fuzz run) hold ~100 MB of heap
    documentStore: new InMemoryLRUCache<DocumentNode>({ maxSize: 4 * 2 ** 20, sizeCalculation: InMemoryLRUCache.sizeCalculation }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: DRAIN_GRACE_MS }),
      { serverWillStart: async () => ({ serverWillStop: async () => lag?.stop() }) },
      // no @cacheControl hints are used, and the plugin costs real time on large lists
      ApolloServerPluginCacheControlDisabled(),
      graphqlMetricsPlugin(deps.metrics),
      // before textInputPlugin: a request with a credential that cannot be used is a 401 first
      authenticationPlugin(),
      textInputPlugin(),
      config.isProduction ? ApolloServerPluginLandingPageProductionDefault() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
    ],
  });
  await apollo.start();

  const contextFor = async (req: IncomingMessage, clientAddress: string | undefined): Promise<Context> => {
    const em = deps.orm.em.fork();
    try {
      // a credential that cannot be used is not thrown here: `login` must still work (authentication.plugin.ts)
      return createContext(deps, em, await deps.authenticator.authenticate(em, req.headers.authorization), clientAddress);
    } catch (error) {
      // Apollo answers a throwing context function with a 500; keep our codes, with the HTTP status
      // that tells clients to retry (the database is down)
      const known = toAppError(error);
      if (!known) throw error;
      throw new GraphQLError(known.message, { extensions: { ...known.extensions, http: { status: HTTP_STATUS[known.code] } } });
    }
  };

  const app = express();
  app.disable('x-powered-by');
  // file routes set their own ETags; Express's would tag error bodies too
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.use(requestScope());
  app.use(httpMetrics(deps.metrics));
  app.use(accessLog(logger));
  app.use(healthRoutes({ orm: deps.orm, storage: deps.files.storage, logger, isStopping, minFreeBytes: config.storageMinFreeBytes }));
  app.use(metricsRoute(deps.metrics, config.metricsToken));
  // bearer tokens, never cookies: any origin may call the API, as Apollo Sandbox does. Before admission
  // control, so a browser on another origin can read a 503 (and its Retry-After) too
  const graphqlCors = cors({ origin: true, maxAge: 600, exposedHeaders: ['Retry-After', 'WWW-Authenticate'] });
  app.use('/graphql', graphqlCors);
  // after the counting and logging above, so shed requests show there; before any body is read
  const admit = admitter(gate, deps.metrics);
  app.use(admissionControl(admit));
  app.use(adminUiRouter(config.adminUiDir, config.publicUrl));
  app.use(
    '/graphql',
    // a full image queue refuses an upload before its body is spooled to disk
    uploadAdmission(deps.pool),
    // the wrapper answers malformed multipart with 400 (never a hang or a 500) and refuses files mapped outside `variables`
    graphqlUploadExpress({ processRequest: processUploadRequest, maxFileSize: config.maxUploadBytes, maxFiles: config.maxFilesPerRequest, maxFieldSize: 64 * 1024 }),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: ({ req }) => contextFor(req, req.ip) }),
  );
  app.use(errorHandler(deps));
  const files = new FileServer(deps, new LinkAccess(deps.links, deps.servingFacts, deps.clock), admit, logger);
  const graphql = graphqlServer({ apollo, context: contextFor, cors: graphqlCors, admit, metrics: deps.metrics, logger, trustProxy: config.trustProxy });
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (isLinkPath(req.url)) files.handle(req, res);
    else if (isPlainGraphqlRequest(req)) graphql(req, res);
    else app(req, res);
  };
  return { listener, express: app, apollo };
}

/** Errors outside GraphQL execution (multipart parsing, body size, file routes) as JSON, never HTML. */
function errorHandler({ logger }: AppDeps): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 600 ? error.status : 500;
    if (status >= 500) logger.error({ err: error, url: req.url }, 'request failed');
    const message = status < 500 && error?.expose !== false ? String(error.message) : 'Internal server error';
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // through res.send, not sendError's res.end: graphqlUploadExpress replaces a multipart request's
    // res.send to hold the answer until the body has been read whole. Answered sooner, the response's
    // close releases the upload's spool files while busboy is still writing to them, busboy stops
    // reading, and the kept-alive connection stalls until the keep-alive timeout resets it under the
    // client's next request (fuzz: a map path outside variables followed by a large file)
    const answer = errorAnswer('graphql', codeOfStatus(status), message);
    res.status(answer.status).set(answer.headers).send(answer.body);
  };
}
