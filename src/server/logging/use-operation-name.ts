import type { Plugin } from 'graphql-yoga';
import { currentRecord } from './request-record.js';

/** Puts a GraphQL request's operation name on its request-log line (see request-log.ts). */
export function useOperationName(): Plugin {
  return {
    onParams({ params }) {
      const record = currentRecord();
      if (record && typeof params.operationName === 'string') record.operation = params.operationName;
    },
  };
}
