import type { CLICK_EVENT_TYPES, clickEvent, ContractValue } from '@pipeline/contracts';
import { roundTo, SeededRandom } from './seeded-random';
import { timelineOf, type GeneratorOptions } from './timeline';

export type ClickEventValue = ContractValue<typeof clickEvent>;
type ClickEventType = (typeof CLICK_EVENT_TYPES)[number];

export const CLICKSTREAM_CATEGORIES = ['electronics', 'books', 'fashion', 'home', 'sports', 'toys', 'beauty', 'grocery'] as const;
const PRODUCTS = 160;

interface Product {
  productId: string;
  category: string;
  price: number;
}

interface Step {
  eventType: ClickEventType;
  product: Product;
}

interface Session {
  sessionId: string;
  customerId: string;
  steps: Step[];
  next: number;
}

function stockCatalog(random: SeededRandom): Product[] {
  return Array.from({ length: PRODUCTS }, (_, index) => ({
    productId: `P-${String(index + 1).padStart(4, '0')}`,
    category: random.pick(CLICKSTREAM_CATEGORIES),
    // Log-normal prices: mostly tens of euros, a few expensive items.
    price: roundTo(Math.min(2000, Math.max(1, Math.exp(random.gaussian(3.4, 0.9)))), 2),
  }));
}

/** Views, some adds to cart, an occasional removal, then (often) checkout and purchase of what is left. */
function planSession(random: SeededRandom, catalog: readonly Product[]): Step[] {
  const favourite = random.pick(CLICKSTREAM_CATEGORIES);
  const inFavourite = catalog.filter((product) => product.category === favourite);
  const steps: Step[] = [];
  const cart: Product[] = [];
  for (let views = random.int(1, 6); views > 0; views -= 1) {
    const product = inFavourite.length > 0 && random.chance(0.7) ? random.pick(inFavourite) : random.pick(catalog);
    steps.push({ eventType: 'page_view', product });
    if (random.chance(0.35)) {
      steps.push({ eventType: 'add_to_cart', product });
      cart.push(product);
    }
  }
  for (const product of [...cart]) {
    if (random.chance(0.15)) {
      steps.push({ eventType: 'remove_from_cart', product });
      cart.splice(cart.indexOf(product), 1);
    }
  }
  if (cart.length > 0 && random.chance(0.6)) {
    steps.push(...cart.map((product): Step => ({ eventType: 'checkout', product })));
    if (random.chance(0.85)) steps.push(...cart.map((product): Step => ({ eventType: 'purchase', product })));
  }
  return steps;
}

function openSession(random: SeededRandom, catalog: readonly Product[], customers: number): Session {
  return {
    sessionId: `S-${random.uuid().slice(0, 13)}`,
    customerId: `C-${String(random.int(1, customers)).padStart(6, '0')}`,
    steps: planSession(random, catalog),
    next: 0,
  };
}

/**
 * E-commerce clickstream: `keys` shopping sessions run at once, their events interleaved;
 * a finished session is replaced by a new one. Every add to cart follows a view of the
 * product, and checkouts and purchases only cover what is still in the cart. Endless.
 */
export function* clickstreamSessions(options: GeneratorOptions): Generator<ClickEventValue> {
  const eventTime = timelineOf(options);
  const random = new SeededRandom(options.seed);
  const catalog = stockCatalog(random);
  const customers = options.keys * 25;
  const sessions = Array.from({ length: options.keys }, () => openSession(random, catalog, customers));
  for (let index = 0; ; index += 1) {
    const slot = random.int(0, sessions.length - 1);
    const session = sessions[slot];
    const step = session.steps[session.next];
    session.next += 1;
    if (session.next === session.steps.length) sessions[slot] = openSession(random, catalog, customers);
    yield {
      eventId: random.uuid(),
      sessionId: session.sessionId,
      customerId: session.customerId,
      eventType: step.eventType,
      productId: step.product.productId,
      category: step.product.category,
      price: step.product.price,
      timestamp: eventTime(index),
    };
  }
}
