import { createNatsBus } from '../../src/providers/bus/nats-bus.js';
import { describeBusContract } from '../contract/bus.contract.js';
import { describeBusAcrossInstances } from '../contract/cluster.contract.js';
import { needService } from '../contract/helpers.js';

// A real NATS with JetStream, started by scripts/services.sh; without one these tests fail, never skip.
const url = process.env.STATEGATE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describeBusContract('nats', () => needService('nats', createNatsBus({ url })));
describeBusAcrossInstances('nats', () => needService('nats', createNatsBus({ url })));
