import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

/** S1 floor for GraphQL: graphql-yoga on node:http answering `{ hello }`. */
const port = Number(process.argv[2]);
const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } }),
  logging: false,
});
createServer(yoga).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
